// The login screen: one name field, and what each refusal means in words (codes from src/errors.ts, and the
// client library's own, docs/client.md).

const EXPLAIN = {
  invalid_username: () => 'That name cannot be used: names are 1–32 letters, digits, “_”, “-” or “.”, without spaces.',
  username_taken: (name) =>
    `“${name}” is taken. Pick another name, or, if it is yours, sign in with a code from a device where you are signed in (under Account there).`,
  no_answer: () => 'The server did not answer. Check your connection and try again.',
};

/** A sentence for the user about a failed login of `name`. */
export function explainLoginError(error, name) {
  return EXPLAIN[error.code]?.(name) ?? error.message;
}

export class LoginForm {
  /** `onSubmit(name)` returns a promise; the button stays disabled until it settles. */
  constructor({ view, form, name, error, submit }, { onSubmit }) {
    Object.assign(this, { view, name, error });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = name.value.trim();
      if (!value) return this.show('Type a name first.');
      submit.disabled = true;
      this.error.textContent = '';
      try {
        await onSubmit(value);
      } finally {
        submit.disabled = false;
      }
    });
  }

  /** Shows the login screen, with `message` (an error, or '') under the field. */
  show(message) {
    this.view.hidden = false;
    this.error.textContent = message;
    if (message) this.name.setAttribute('aria-invalid', 'true');
    else this.name.removeAttribute('aria-invalid');
    this.name.focus();
  }

  hide() {
    this.view.hidden = true;
  }
}
