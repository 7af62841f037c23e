// Kontor's small behaviours. No inline scripts anywhere: the Content-Security-Policy forbids them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Progress bars take their width from data-percent (inline styles are not allowed).
  const paint = (bar, percent) => {
    bar.style.width = `${percent}%`;
    bar.textContent = `${percent} %`;
    bar.parentElement.setAttribute("aria-valuenow", percent);
  };
  document.querySelectorAll(".progress-bar[data-percent]").forEach((bar) => paint(bar, bar.dataset.percent));

  // Colour swatches and badges (e.g. a contact's temperature) take their colour from data-color.
  document.querySelectorAll("[data-color]").forEach((element) => {
    if (/^#[0-9a-fA-F]{6}$/.test(element.dataset.color)) element.style.backgroundColor = element.dataset.color;
  });

  // Forms that ask before they delete.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // Live job progress: poll the status URL until the job is done or failed.
  document.querySelectorAll("[data-job-status]").forEach((box) => {
    const poll = async () => {
      const response = await fetch(box.dataset.jobStatus, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const job = await response.json();
      const bar = box.querySelector(".progress-bar");
      if (bar && job.percent !== null) paint(bar, job.percent);
      box.querySelector("[data-job-field=message]").textContent = job.message || job.error;
      box.querySelector("[data-job-field=state]").dataset.state = job.state;
      if (job.state !== "done" && job.state !== "failed") window.setTimeout(poll, 1000);
      else box.querySelector("[data-job-field=state]").textContent = box.dataset[`label${job.state[0].toUpperCase()}${job.state.slice(1)}`] || job.state;
    };
    poll();
  });
});
