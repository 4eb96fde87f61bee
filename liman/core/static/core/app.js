// Small behaviours every page shares; no inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("change", (event) => {
  if (event.target.matches("select.js-autosubmit")) {
    event.target.form.requestSubmit();
  }
});
