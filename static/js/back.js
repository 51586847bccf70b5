// "Go back" on the self-contained error page (no other script loads there).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-ka-back]") && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});
