/* The withdrawal page: one button posts the token; the page then says what happened. */
(function () {
  "use strict";
  var root = document.getElementById("withdraw");
  var button = document.getElementById("withdraw-button");
  if (!root || !button) { return; }
  var token = root.getAttribute("data-token") || "";
  var endpoint = root.getAttribute("data-endpoint");
  var intro = document.getElementById("withdraw-intro");
  var done = document.getElementById("withdraw-done");
  var invalid = document.getElementById("withdraw-invalid");
  var error = document.getElementById("withdraw-error");
  var TEXT = {
    busy: "Отзываем согласие…",
    rate_limited: "Слишком много попыток. Подождите минуту и нажмите кнопку ещё раз.",
    failed: "Не получилось: сервер не ответил. Ничего не изменилось — попробуйте ещё раз " +
      "через минуту или позвоните администратору."
  };
  var label = button.textContent;

  function showOnly(box) {
    intro.hidden = true;
    box.hidden = false;
    box.focus();
  }

  function fail(text) {
    button.disabled = false;
    button.textContent = label;
    error.textContent = text;
    error.hidden = false;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    button.textContent = TEXT.busy;
    error.hidden = true;
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: token })
    }).then(function (response) {
      if (response.status === 200) { showOnly(done); return; }
      if (response.status === 404) { showOnly(invalid); return; }
      if (response.status === 429) { fail(TEXT.rate_limited); return; }
      fail(TEXT.failed);
    }).catch(function () { fail(TEXT.failed); });
  });
}());
