// The contacts list: "select all on this page" ticks every row's checkbox (and follows them).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const boxes = () => Array.from(document.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`));
    all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
    boxes().forEach((box) => box.addEventListener("change", () => {
      const ticked = boxes().filter((b) => b.checked).length;
      all.checked = ticked === boxes().length;
      all.indeterminate = ticked > 0 && !all.checked;
    }));
  });
});
