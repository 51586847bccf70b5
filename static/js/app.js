// Site-wide behaviour: tell the user when an htmx request was refused or failed, instead of
// leaving the page silently unchanged.
(function () {
  "use strict";
  document.body.addEventListener("htmx:responseError", function (event) {
    const box = document.getElementById("htmx-error");
    if (!box) return;
    const status = event.detail.xhr.status;
    const key = status === 403 ? "forbidden" : status === 404 ? "missing" : status === 409 ? "conflict" : "failed";
    // The error pages answer htmx with a one-line fragment (templates/errors/_fragment.html) in
    // the page's language: say what it says; anything else gets the page's message for the status.
    const type = event.detail.xhr.getResponseHeader("Content-Type") || "";
    const fragment = type.startsWith("text/html")
      ? new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html").querySelector("[data-error-fragment]")
      : null;
    box.querySelector("[data-message]").textContent = fragment ? fragment.textContent.trim() : box.dataset[key] + " (" + status + ")";
    box.classList.add("alert-danger");
    box.classList.remove("d-none");
  });
  document.body.addEventListener("htmx:sendError", function () {
    const box = document.getElementById("htmx-error");
    if (!box) return;
    box.querySelector("[data-message]").textContent = box.dataset.offline;
    box.classList.add("alert-danger");
    box.classList.remove("d-none");
  });
  // An in-page editor's cancel (templates/_editor.html) closes it where it was opened: its slot
  // is emptied, or the dialog holding it hidden. On a page of its own the link simply goes back.
  document.body.addEventListener("click", function (event) {
    const cancel = event.target.closest("[data-editor-cancel]");
    if (!cancel) return;
    const slot = document.getElementById(cancel.dataset.editorCancel);
    if (!slot || !slot.contains(cancel)) return;
    event.preventDefault();
    const dialog = slot.closest(".modal");
    if (dialog) bootstrap.Modal.getOrCreateInstance(dialog).hide();
    else slot.replaceChildren();
  });
})();
