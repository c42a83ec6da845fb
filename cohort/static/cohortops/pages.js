// Copy buttons: <button data-copy="id-of-a-field">. A file of its own: the Content-Security-Policy refuses
// inline scripts.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Copied";
  } catch {
    // No clipboard access (an older browser, a page not served over https): leave it selected to copy by hand.
    field.select();
    button.textContent = "Selected: press Ctrl+C or ⌘C";
  }
});

// The hours editor's "Copy to all days": every day takes this day's ranges and its toggle.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy-day]");
  if (!button) return;
  const source = button.closest("fieldset");
  const times = [...source.querySelectorAll("input[type=time]")].map((input) => input.value);
  const on = source.querySelector("input[type=checkbox]").checked;
  for (const day of document.querySelectorAll("fieldset.day-hours")) {
    if (day === source) continue;
    day.querySelectorAll("input[type=time]").forEach((input, index) => { input.value = times[index] ?? ""; });
    day.querySelector("input[type=checkbox]").checked = on;
  }
  button.textContent = "Copied to all days";
});
