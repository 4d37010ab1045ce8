/* redis-warden's on-call page: keeps the daemon's first paint fresh without a reload.
   Built into the binary (embed.cmake) and allowed by its hash in the page's
   Content-Security-Policy. The clusters are rendered by the daemon alone (GET
   /?part=clusters: the renderer of the first paint, from what /status holds), so page and
   /status cannot disagree; events come from /events as JSON and are written as text. */
(function () {
  "use strict";
  var updated = document.getElementById("updated");
  var eventList = document.getElementById("event-list");
  var eventNote = document.getElementById("events-note");
  var keepEvents = 50;
  var lastEvent = 0;
  var lastGood = null;

  function clock(date) { return date.toISOString().slice(11, 19) + "Z"; }
  function say(text, lost) {
    updated.textContent = text;
    updated.classList.toggle("lost", lost);
  }
  function clusters() { return document.getElementById("clusters"); }
  function period() {
    var ms = parseInt(clusters().getAttribute("data-refresh-ms"), 10);
    return ms > 0 ? ms : 1000;
  }
  function later(step) { window.setTimeout(step, period()); }
  function checked(response) {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response;
  }

  // Someone copying an address or a node id keeps the selection: no swap meanwhile.
  function selecting() {
    var selection = window.getSelection();
    return selection && !selection.isCollapsed && clusters().contains(selection.anchorNode);
  }

  function refreshClusters() {
    fetch("/?part=clusters", {cache: "no-store"})
      .then(function (response) { return checked(response).text(); })
      .then(function (html) {
        if (selecting()) {
          say("paused while text is selected", false);
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("clusters");
        if (!fresh) throw new Error("no clusters in the answer");
        clusters().replaceWith(document.importNode(fresh, true));
        document.title = fresh.getAttribute("data-title") || document.title;
        lastGood = new Date();
        say("live, updated " + clock(lastGood), false);
      })
      .catch(function (problem) {
        say("NOT UPDATING: the daemon does not answer (" + problem.message + "); shown: " +
            (lastGood ? "its state at " + clock(lastGood) : "the state at page load"), true);
      })
      .then(function () { later(refreshClusters); });
  }

  function eventItem(event) {
    var severity = String(event.severity || "info").replace(/[^a-z]/g, "");
    var item = document.createElement("li");
    item.className = "sev-" + severity;
    var time = document.createElement("time");
    time.textContent = String(event.time || "");
    item.appendChild(time);
    item.appendChild(document.createTextNode(
      " " + severity.toUpperCase() + " " + String(event.cluster || "") + " · " +
      String(event.type || "") + ": " + String(event.message || "")));
    return item;
  }

  function addEvents(body) {
    var events = body && Array.isArray(body.events) ? body.events : [];
    events.forEach(function (event) {
      if (typeof event.id === "number" && event.id > lastEvent) lastEvent = event.id;
      eventList.insertBefore(eventItem(event), eventList.firstChild);
    });
    while (eventList.children.length > keepEvents) eventList.removeChild(eventList.lastChild);
    eventNote.textContent = eventList.children.length ? "Newest first." : "No events yet.";
  }

  function pollEvents() {
    fetch("/events?since=" + lastEvent, {cache: "no-store"})
      .then(function (response) {
        if (response.status === 404) {
          eventNote.textContent = "Events are not available: this daemon has no /events.";
          return false;
        }
        return checked(response).json().then(function (body) { addEvents(body); return true; });
      })
      .catch(function (problem) {
        eventNote.textContent = "Events could not be read (" + problem.message + ").";
        return true;
      })
      .then(function (again) { if (again) later(pollEvents); });
  }

  say("live, rendered by the daemon", false);
  later(refreshClusters);
  pollEvents();
})();
