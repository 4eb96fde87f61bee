// The registration page: the household to join is found as one types and picked, never typed by reference.
// Without JavaScript, "Find" posts the page and it comes back with the households found.
(() => {
  const query = document.getElementById("id_household-query");
  if (!query) return;
  const choices = document.getElementById("household-choices");
  let timer = null;

  async function find() {
    const chosen = (choices.querySelector("input[name=household_reference]:checked") || {}).value || "";
    const url = new URL(query.dataset.pickUrl, window.location.href);
    url.searchParams.set("household-query", query.value.trim());
    if (chosen) url.searchParams.set("household_reference", chosen);
    // htmx (loaded by every page) fetches the server-rendered choices and swaps them in.
    await htmx.ajax("GET", url.toString(), { target: choices, swap: "innerHTML" });
  }

  query.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, 250);
  });
  query.addEventListener("keydown", (event) => {
    // Enter finds the household; it does not register the person.
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      find();
    }
  });
  document.querySelector(".js-household-find").addEventListener("click", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    find();
  });
})();
