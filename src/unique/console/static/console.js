// The Console's little script: account menu, dialogs, confirmations, key creation and copy.
// Every page works without it except the one-time key display, which then falls back to a
// server-rendered page.
"use strict";

function setUpAccountMenu() {
  const button = document.getElementById("account-button");
  const menu = document.getElementById("account-menu");
  if (!button || !menu) return;
  const close = () => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  button.addEventListener("click", () => {
    const opening = menu.hidden;
    menu.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    if (opening) menu.querySelector("a, button")?.focus();
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) {
      close();
      button.focus();
    }
  });
}

function setUpDialogs() {
  document.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    opener.addEventListener("click", () => {
      const dialog = document.getElementById(opener.dataset.openDialog);
      dialog.showModal();
      dialog.querySelector("input:not([type=hidden]), [autofocus]")?.focus();
    });
  });
  document.querySelectorAll("[data-close-dialog]").forEach((closer) => {
    closer.addEventListener("click", () => closer.closest("dialog").close());
  });
  const reopen = document.querySelector("[data-open-on-load]");
  if (reopen) document.getElementById(reopen.dataset.openOnLoad).showModal();
}

// Forms marked data-confirm="x" submit only after the #confirm-x-dialog is accepted.
function confirmBeforeSubmit(form) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.confirmed === "yes") return;
    event.preventDefault();
    const dialog = document.getElementById(`confirm-${form.dataset.confirm}-dialog`);
    dialog.querySelector("[data-subject]").textContent = form.dataset.subject;
    const yes = dialog.querySelector("[data-confirm-yes]");
    const onYes = () => {
      yes.disabled = true;
      form.dataset.confirmed = "yes";
      form.submit();
    };
    yes.addEventListener("click", onYes, { once: true });
    dialog.addEventListener("close", () => yes.removeEventListener("click", onYes), { once: true });
    dialog.showModal();
  });
}

function addKeyRow(created) {
  const template = document.getElementById("key-row-template");
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.keyId = created.id;
  row.querySelector(".cell-name").textContent = created.name;
  row.querySelector("code").textContent = created.hint;
  row.querySelector("time").textContent = created.created_at;
  row.querySelector(".by").textContent = `by ${created.created_by}`;
  const form = row.querySelector("form");
  form.action = `/settings/api-keys/${created.id}/revoke`;
  form.dataset.subject = created.name;
  confirmBeforeSubmit(form);
  document.querySelector("#keys-table tbody").prepend(row);
  document.getElementById("keys-table-wrap").hidden = false;
  document.getElementById("keys-empty").hidden = true;
}

function showNewKey(created) {
  document.getElementById("new-key-name").textContent = created.name;
  document.getElementById("new-key-value").value = created.key;
  const panel = document.getElementById("new-key");
  panel.hidden = false;
  document.getElementById("copy-key").focus();
}

function setUpKeyCreation() {
  const form = document.getElementById("create-key-form");
  if (!form) return;
  const error = document.getElementById("key-name-error");
  const input = document.getElementById("key-name");
  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.closest(".field").classList.add("has-error");
    input.focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      showError("Enter a name for the API key.");
      return;
    }
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showError(body.message || "The key could not be created. Reload the page and try again.");
        return;
      }
      form.closest("dialog").close();
      form.reset();
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      input.closest(".field").classList.remove("has-error");
      addKeyRow(body);
      showNewKey(body);
    } catch {
      showError("The Console could not reach the server. Check your connection and try again.");
    } finally {
      submit.disabled = false;
    }
  });
}

function setUpCopyButtons() {
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.select();
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 2000);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpAccountMenu();
  setUpDialogs();
  document.querySelectorAll("form[data-confirm]").forEach(confirmBeforeSubmit);
  setUpKeyCreation();
  setUpCopyButtons();
});
