// The verification screen by keyboard: the scan box has the focus (autofocus), Enter finds, one Tab reaches the
// first household's "Received by" (the Find button is out of the Tab order while a receipt is waiting: Enter
// already finds), and Enter there records the receipt. "Someone else" moves to the name box instead, whose
// Enter submits as any text field's does. After the receipt the page comes back with the focus in the scan box.
document.addEventListener("keydown", (event) => {
  const select = event.target;
  if (event.key !== "Enter" || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (!select.matches || !select.matches("form.receipt select")) return;
  event.preventDefault();
  const form = select.form;
  if (select.value === form.dataset.other) {
    const name = form.querySelector("input[type=text]");
    if (name && !name.value.trim()) {
      name.focus();
      return;
    }
  }
  form.requestSubmit();
});
