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
