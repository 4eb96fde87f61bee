// Small behaviours every page shares; no inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("change", (event) => {
  if (event.target.matches("select.js-autosubmit")) {
    event.target.form.requestSubmit();
  }
});

// The main bar's groups are <details> menus: one open at a time, closed by Escape or a click elsewhere.
document.addEventListener("toggle", (event) => {
  const opened = event.target;
  if (!opened.matches || !opened.matches("details.navgroup") || !opened.open) return;
  for (const other of document.querySelectorAll("details.navgroup[open]")) {
    if (other !== opened) other.open = false;
  }
}, true);
document.addEventListener("click", (event) => {
  for (const group of document.querySelectorAll("details.navgroup[open]")) {
    if (!group.contains(event.target)) group.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const group = document.querySelector("details.navgroup[open]");
  if (group) {
    group.open = false;
    group.querySelector("summary").focus();
  }
});
