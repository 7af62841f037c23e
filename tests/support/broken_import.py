"""A plugin whose import fails, as a third-party plugin with a missing dependency does."""
import kontor_nonexistent_dependency  # noqa: F401
