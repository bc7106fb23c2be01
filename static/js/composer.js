// The message box: Enter sends, Shift+Enter starts a new line, ArrowUp in an empty box edits one's last message;
// typing is announced (throttled by typing.js).

/**
 * `onSend(text)` gets the raw text (the server trims it); `onType()` runs on every edit of a non-blank text;
 * `onEditLast()` opens the editor on one's last message, and says whether there was one.
 */
export function wireComposer({ form, textarea }, { onSend, onType, onEditLast }) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textarea.value;
    if (!text.trim()) return;
    onSend(text);
    textarea.value = '';
  });
  textarea.addEventListener('keydown', (event) => {
    // isComposing: Enter that confirms an input-method composition (Japanese, Chinese…) does not send.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
    if (event.key === 'ArrowUp' && textarea.value === '' && onEditLast()) event.preventDefault();
  });
  textarea.addEventListener('input', () => {
    if (textarea.value.trim()) onType();
  });
}
