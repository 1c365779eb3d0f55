/* The "no slots" page when the service has free times after all: pick a time, hold it
   (POST /api/public/appointments), create its payment (POST /api/public/payments) and go to
   the payment page. Nothing the visitor types is logged or tracked. */
(function () {
  "use strict";
  var root = document.getElementById("free-times");
  if (!root) { return; }
  var slug = root.getAttribute("data-service-slug");
  var form = document.getElementById("booking-form");
  var errorBox = document.getElementById("booking-error");
  var button = document.getElementById("book-button");
  var held = null; // {slotId, appointmentId}: a retry pays the hold already made
  var paymentKey = null;

  var MESSAGES = {
    choose_time: "Выберите время.",
    name_required: "Напишите, как к вам обращаться.",
    contact_required: "Укажите почту или телефон: туда придёт подтверждение записи.",
    consent_required: "Отметьте согласие на обработку персональных данных: без него мы не можем записать вас.",
    invalid_contact: "Проверьте почту и телефон: нужен российский номер, например +7 999 123-45-67, или адрес вида name@example.ru.",
    slot_not_available: "Это время только что заняли. Выберите другое.",
    slot_in_past: "Это время уже прошло. Выберите другое.",
    slot_not_found: "Этого времени больше нет. Выберите другое.",
    too_many_holds: "У вас уже есть неоплаченные брони. Оплатите одну из них или дождитесь, пока бронь истечёт.",
    rate_limited: "Слишком много попыток. Попробуйте через минуту.",
    provider_unavailable: "Время закреплено за вами, но платёжная система не ответила. Нажмите кнопку ещё раз через минуту.",
    network_error: "Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.",
    server_error: "Не получилось записаться. Попробуйте ещё раз чуть позже."
  };

  function show(code) {
    errorBox.textContent = MESSAGES[code] || MESSAGES.server_error;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "center" });
  }

  function chosen() {
    var radio = form.querySelector("input[name='slot_id']:checked");
    return radio ? radio.value : null;
  }

  function takenAway(slotId) {
    var radio = form.querySelector("input[name='slot_id'][value='" + slotId + "']");
    if (!radio) { return; }
    radio.checked = false;
    radio.disabled = true;
    radio.parentNode.classList.add("taken");
    radio.parentNode.appendChild(document.createTextNode(" — уже занято"));
  }

  function post(url, body, headers) {
    var all = { "Content-Type": "application/json", "Accept": "application/json" };
    for (var name in headers || {}) { all[name] = headers[name]; }
    return fetch(url, { method: "POST", headers: all, body: JSON.stringify(body),
                        credentials: "same-origin" }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      }, function () { return { ok: response.ok, data: null }; });
    });
  }

  function key() {
    if (!paymentKey) {
      paymentKey = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() :
        "pay-" + Date.now() + "-" + Math.random().toString(36).slice(2);
    }
    return paymentKey;
  }

  function pay(appointmentId) {
    return post("/api/public/payments", { appointment_id: appointmentId },
                { "Idempotency-Key": key() }).then(function (answer) {
      var url = answer.ok && answer.data && answer.data.confirmation &&
        answer.data.confirmation.confirmation_url;
      if (url) { window.location.assign(url); return true; }
      var code = answer.data && answer.data.code;
      show(code === "provider_unavailable" ? "provider_unavailable" : "server_error");
      return false;
    });
  }

  document.getElementById("tg-button").addEventListener("click", function () {
    try {
      fetch("/api/public/events", {
        method: "POST", headers: { "Content-Type": "application/json" }, keepalive: true,
        body: JSON.stringify({ name: "cta_tg_click", properties: {
          service_slug: slug, tg_flow: "concierge", placement: "no_slots_page" } })
      }).catch(function () { return null; });
    } catch (e) { /* tracking never blocks the visitor */ }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    var slotId = chosen();
    if (!slotId) { show("choose_time"); return; }
    if (held && held.slotId === slotId) {
      button.disabled = true;
      pay(held.appointmentId).then(function (left) { if (!left) { button.disabled = false; } },
        function () { show("network_error"); button.disabled = false; });
      return;
    }
    var name = document.getElementById("client-name").value.trim();
    var email = document.getElementById("client-email").value.trim();
    var phone = document.getElementById("client-phone").value.trim();
    if (!name) { show("name_required"); return; }
    if (!email && !phone) { show("contact_required"); return; }
    if (!document.getElementById("consent-personal-data").checked) {
      show("consent_required"); return;
    }
    button.disabled = true;
    post("/api/public/appointments", {
      slot_id: slotId,
      client: { name: name, email: email || null, phone: phone || null },
      consents: {
        personal_data: true,
        communications: document.getElementById("consent-communications").checked,
        version: form.querySelector("input[name='consent_version']").value
      }
    }).then(function (answer) {
      if (answer.ok && answer.data && answer.data.appointment_id) {
        held = { slotId: slotId, appointmentId: answer.data.appointment_id };
        paymentKey = null;
        return pay(held.appointmentId);
      }
      var code = answer.data && answer.data.code;
      if (code === "slot_not_available" || code === "slot_in_past" || code === "slot_not_found") {
        takenAway(slotId);
      }
      show(code);
      return false;
    }).then(function (left) {
      if (!left) { button.disabled = false; }
    }, function () {
      show("network_error");
      button.disabled = false;
    });
  });
})();
