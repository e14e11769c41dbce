import { useState } from 'preact/hooks';
import { ApiError, type Me, type RestClient } from '../protocol';

type Mode = 'login' | 'register';

/** Log in with a username or email, or create an account. */
export function AuthScreen(props: { rest: RestClient; onSignedIn: (me: Me) => void }) {
  const [mode, setMode] = useState<Mode>('login');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const raw = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : '';
    };
    const field = (name: string) => raw(name).trim();
    setBusy(true);
    setError(null);
    try {
      const me =
        mode === 'login'
          ? await props.rest.login(field('identifier'), raw('password'))
          : await props.rest.register({
              email: field('email'),
              username: field('username'),
              displayName: field('displayName') || field('username'),
              password: raw('password'),
            });
      props.onSignedIn(me);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Parley cannot be reached. Try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="auth">
      <form class="auth-card" onSubmit={(event) => void submit(event)} aria-labelledby="auth-title">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true" />
          <h1 id="auth-title">Parley</h1>
        </div>
        <p class="muted">{mode === 'login' ? 'Welcome back.' : 'Create your account.'}</p>
        {mode === 'login' ? (
          <label>
            Username or email
            <input name="identifier" autocomplete="username" required autofocus />
          </label>
        ) : (
          <>
            <label>
              Email
              <input name="email" type="email" autocomplete="email" required autofocus />
            </label>
            <label>
              Username
              <input name="username" autocomplete="username" required pattern="[A-Za-z0-9_.]{3,32}" />
            </label>
            <label>
              Display name
              <input name="displayName" autocomplete="name" />
            </label>
          </>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            minLength={mode === 'register' ? 8 : undefined}
            autocomplete={mode === 'login' ? 'current-password' : 'new-password'}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {mode === 'login' ? 'Log in' : 'Create account'}
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(mode === 'login' ? 'register' : 'login');
            setError(null);
          }}
        >
          {mode === 'login' ? 'New here? Create an account' : 'Have an account? Log in'}
        </button>
      </form>
    </main>
  );
}
