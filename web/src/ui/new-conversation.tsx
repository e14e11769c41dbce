import { useEffect, useState } from 'preact/hooks';
import { ApiError, type User } from '../protocol';
import type { ChatStore } from '../state/chat-store';
import { Avatar } from './avatar';

/** Find people by name; one makes a direct conversation, several (or a title) a group. */
export function NewConversation(props: {
  store: ChatStore;
  onDone: (conversationId: string | null) => void;
}) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<User[]>([]);
  const [picked, setPicked] = useState<User[]>([]);
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const me = props.store.state.me.id;

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setFound([]);
      return;
    }
    const timer = setTimeout(() => {
      props.store.rest.searchUsers(q).then(
        (users) => setFound(users.filter((user) => user.id !== me)),
        () => setFound([]),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [query]);

  const toggle = (user: User) =>
    setPicked(
      picked.some((p) => p.id === user.id) ? picked.filter((p) => p.id !== user.id) : [...picked, user],
    );

  const start = async () => {
    setError(null);
    try {
      const id = await props.store.startConversation(
        picked.map((user) => user.id),
        picked.length > 1 || title.trim() ? title.trim() || undefined : undefined,
      );
      props.onDone(id);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Could not start the conversation.');
    }
  };

  return (
    <section class="new-conversation" aria-label="New conversation">
      <input
        type="search"
        placeholder="Find people by name"
        aria-label="Find people by name"
        value={query}
        autofocus
        onInput={(event) => setQuery(event.currentTarget.value)}
        onKeyDown={(event) => event.key === 'Escape' && props.onDone(null)}
      />
      {picked.length > 0 && (
        <div class="chips">
          {picked.map((user) => (
            <button key={user.id} class="chip" onClick={() => toggle(user)} title="Remove">
              {user.displayName} ×
            </button>
          ))}
        </div>
      )}
      <ul class="list compact">
        {found.map((user) => (
          <li key={user.id}>
            <button class="row" onClick={() => toggle(user)} data-testid="user-result">
              <Avatar id={user.id} name={user.displayName} small />
              <span class="row-main">
                <strong>{user.displayName}</strong> <span class="muted">@{user.username}</span>
              </span>
              {picked.some((p) => p.id === user.id) && <span aria-label="selected">✓</span>}
            </button>
          </li>
        ))}
      </ul>
      {picked.length > 1 && (
        <input
          placeholder="Group name (optional)"
          aria-label="Group name"
          value={title}
          onInput={(event) => setTitle(event.currentTarget.value)}
        />
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button class="ghost" onClick={() => props.onDone(null)}>
          Cancel
        </button>
        <button class="primary" disabled={picked.length === 0} onClick={() => void start()}>
          {picked.length > 1 ? 'Start group' : 'Start chat'}
        </button>
      </div>
    </section>
  );
}
