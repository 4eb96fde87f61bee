// The family registration page: member rows added without a page load, the head's names carried over.
// Without JavaScript the page works all the same: "Add a member" posts the page and it comes back with a new row.
(() => {
  const form = document.querySelector("form.family-registration");
  if (!form) return;
  const template = document.getElementById("member-template");
  const list = document.getElementById("members");
  const counter = form.querySelector("input[name=members]");
  const head = (name) => form.querySelector(`[name="head-${name}"]`);
  const headSex = () => (form.querySelector('[name="head-sex"]:checked') || {}).value || "";

  // The same rule as `carried_names` in forms.py.
  function carried(relationship) {
    const first = head("first_name").value.trim();
    const father = head("father_name").value.trim();
    const family = head("family_name").value.trim();
    if (relationship === "child") return headSex() === "M" ? { family_name: family, father_name: first } : { family_name: family };
    if (relationship === "sibling") return { father_name: father, family_name: family };
    if (relationship === "grandchild" || relationship === "") return { family_name: family };
    return {};
  }

  function carry(row) {
    const names = carried(row.querySelector("select[name$='-relationship']").value);
    for (const name of ["father_name", "family_name"]) {
      const input = row.querySelector(`input[name$='-${name}']`);
      // Only a field left as it was carried (or empty) follows the head: what the registrar typed stays.
      if (input.value === "" || input.value === input.dataset.carried) {
        input.value = names[name] || "";
        input.dataset.carried = input.value;
      }
    }
  }

  function showRemove(row) {
    const button = row.querySelector(".js-remove-member");
    if (button) button.hidden = false;
  }

  for (const row of list.querySelectorAll(".family-member")) showRemove(row);

  form.querySelector(".js-add-member").addEventListener("click", (event) => {
    event.preventDefault();
    const number = Number(counter.value) || 0;
    // A copy of the empty row, its field names and ids numbered: nodes, never an HTML string.
    const copy = template.content.cloneNode(true);
    for (const element of copy.querySelectorAll("*")) {
      for (const attribute of Array.from(element.attributes)) {
        if (attribute.value.includes("__prefix__")) {
          element.setAttribute(attribute.name, attribute.value.replaceAll("__prefix__", String(number)));
        }
      }
    }
    list.appendChild(copy);
    counter.value = String(number + 1);
    const row = list.lastElementChild;
    carry(row);
    showRemove(row);
    row.querySelector("select").focus();
  });

  list.addEventListener("change", (event) => {
    if (event.target.matches("select[name$='-relationship']")) carry(event.target.closest(".family-member"));
  });

  list.addEventListener("click", (event) => {
    if (!event.target.matches(".js-remove-member")) return;
    const row = event.target.closest(".family-member");
    // Emptied and hidden: the server leaves out a row without relationship, first name and birth date.
    for (const field of row.querySelectorAll("input, select")) {
      if (field.type === "radio" || field.type === "checkbox") field.checked = false;
      else if (field.tagName === "SELECT") field.selectedIndex = 0;
      else if (field.type !== "hidden") field.value = "";
    }
    row.hidden = true;
    form.querySelector(".js-add-member").focus();
  });

  // The head's names change: the rows that still hold what was carried follow.
  form.addEventListener("input", (event) => {
    if (event.target.name && /^head-(first_name|father_name|family_name)$/.test(event.target.name)) {
      for (const row of list.querySelectorAll(".family-member:not([hidden])")) carry(row);
    }
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "head-sex") for (const row of list.querySelectorAll(".family-member:not([hidden])")) carry(row);
  });

})();
