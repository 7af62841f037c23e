def test_home_redirects_to_login(app):
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 302


def test_owner_sees_menu(owner_client):
    page = owner_client.get("/").get_data(as_text=True)
    assert "Memos" in page and "Module" in page
