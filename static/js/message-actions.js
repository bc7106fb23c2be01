// Editing and deleting one's own messages (docs/protocol.md, "Editing and deleting"): the Edit and Delete
// buttons of a message (conversation.js draws them) open an editor in place, or delete after a second click. By
// keyboard: ArrowUp in the empty message box edits one's last message (`editLast`); the editor deletes too.
import { h } from './dom.js';

/** A second click within this long confirms a deletion. */
const CONFIRM_MS = 4000;

/** Handles the buttons of the messages in `slot` (the open conversation's log), for `chat.active`. */
export function wireMessageActions(slot, { client, chat }) {
  slot.addEventListener('click', (event) => {
    const button = event.target.closest?.('button[data-action]');
    const li = button?.closest('li.message');
    if (!li) return;
    const id = Number(li.dataset.id);
    if (button.dataset.action === 'edit') startEditing(li, id, chat.active, client, chat);
    else void confirmDelete(button, id, chat.active, client, chat);
  });
}

/** Opens the editor on the user's last message in the open conversation; false when there is none. */
export function editLast({ client, chat, composer }) {
  const li = chat.active.lastOwn();
  if (!li) return false;
  startEditing(li, Number(li.dataset.id), chat.active, client, chat, composer);
  return true;
}

/** `returnTo`: where the focus goes back when the editor closes (the message box, when it was opened from there). */
function startEditing(li, id, conv, client, chat, returnTo = undefined) {
  const message = conv.messageOf(id);
  const text = li.querySelector('.text');
  if (!message || !text || li.querySelector('.editor')) return;
  const field = h('textarea', { className: 'editor-text', attrs: { rows: '2', maxlength: '4000', 'aria-label': 'The message, edited' } });
  field.value = message.text;
  const error = h('p', { className: 'error', attrs: { role: 'alert' } });
  const cancel = () => {
    conv.update(id, {}); // draws the message again, as it is
    returnTo?.focus();
  };
  const save = async () => {
    const edited = field.value.trim();
    if (!edited || edited === message.text) return cancel();
    const res = await client.editMessage(id, edited);
    if (!res.ok) {
      error.textContent = res.error.message;
      return;
    }
    conv.update(id, res.message); // this connection is not sent its own messageEdited
    returnTo?.focus();
  };
  const editor = h(
    'form',
    { className: 'editor', on: { submit: (event) => (event.preventDefault(), void save()) } },
    field,
    h(
      'div',
      { className: 'editor-actions' },
      h('button', { className: 'link', text: 'Delete', attrs: { type: 'button' }, on: { click: (event) => void confirmDelete(event.currentTarget, id, conv, client, chat) } }),
      h('button', { className: 'link', text: 'Cancel', attrs: { type: 'button' }, on: { click: cancel } }),
      h('button', { className: 'link', text: 'Save', attrs: { type: 'submit' } }),
    ),
    error,
  );
  field.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') cancel();
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      editor.requestSubmit();
    }
  });
  text.replaceWith(editor);
  li.querySelector('.actions')?.remove();
  field.focus();
}

async function confirmDelete(button, id, conv, client, chat) {
  if (button.dataset.confirm !== 'true') {
    button.dataset.confirm = 'true';
    button.textContent = 'Really delete?';
    setTimeout(() => {
      delete button.dataset.confirm;
      button.textContent = 'Delete';
    }, CONFIRM_MS);
    return;
  }
  const res = await client.deleteMessage(id);
  if (res.ok) chat.applyMessageChange({ type: 'delete', id, deletedAt: Date.now() });
  else conv.addNotice({ type: 'error', text: `Could not delete it: ${res.error.message}`, ts: Date.now() });
}
