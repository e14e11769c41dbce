import { useEffect, useState } from 'preact/hooks';
import type { SearchHit } from '../protocol';
import { conversationTitle, directPeer, sortedConversations, type ChatState } from '../state/chat-state';
import type { ChatStore } from '../state/chat-store';
import { Avatar } from './avatar';
import { clockTime } from './format';
import { NewConversation } from './new-conversation';

/** Who is signed in, message search, and the conversations, most recent first. */
export function Sidebar(props: {
  store: ChatStore;
  state: ChatState;
  onOpen: (id: string) => void;
  onSignOut: () => void;
}) {
  const { store, state } = props;
  const [creating, setCreating] = useState(false);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (q.length < 2) {
      setHits(null);
      return;
    }
    // Typing fast sends one search, for the words left when the typing pauses.
    const timer = setTimeout(() => {
      store.rest.searchMessages(q).then(setHits, () => setHits([]));
    }, 250);
    return () => clearTimeout(timer);
  }, [query]);

  return (
    <aside class="sidebar">
      <header class="sidebar-header">
        <Avatar id={state.me.id} name={state.me.displayName} />
        <div class="who">
          <strong data-testid="me">{state.me.displayName}</strong>
          <span class="muted">@{state.me.username}</span>
        </div>
        <button class="ghost" onClick={props.onSignOut} title="Sign out">
          Sign out
        </button>
      </header>
      <div class="sidebar-tools">
        <input
          type="search"
          placeholder="Search messages"
          aria-label="Search messages"
          value={query}
          onInput={(event) => setQuery(event.currentTarget.value)}
          onKeyDown={(event) => event.key === 'Escape' && setQuery('')}
        />
        <button class="primary" onClick={() => setCreating(!creating)} aria-expanded={creating}>
          New
        </button>
      </div>
      {creating && (
        <NewConversation
          store={store}
          onDone={(id) => {
            setCreating(false);
            if (id) props.onOpen(id);
          }}
        />
      )}
      {hits ? (
        <ul class="list" aria-label="Search results" data-testid="search-results">
          {hits.length === 0 && <li class="muted pad">No message matches.</li>}
          {hits.map((hit) => {
            const conversation = state.conversations.get(hit.conversationId);
            return (
              <li key={hit.id}>
                <button
                  class="row"
                  onClick={() => {
                    setQuery('');
                    props.onOpen(hit.conversationId);
                  }}
                >
                  <div class="row-main">
                    <div class="row-top">
                      <strong>
                        {conversation ? conversationTitle(state, conversation) : 'Conversation'}
                      </strong>
                      <span class="muted small">{clockTime(hit.createdAt)}</span>
                    </div>
                    {/* The server escapes the excerpt and adds only <mark>. */}
                    <div class="row-preview" dangerouslySetInnerHTML={{ __html: hit.highlight }} />
                  </div>
                </button>
              </li>
            );
          })}
        </ul>
      ) : (
        <ul class="list" aria-label="Conversations" data-testid="conversation-list">
          {state.conversations.size === 0 && <li class="muted pad">No conversations yet.</li>}
          {sortedConversations(state).map((conversation) => {
            const peer = directPeer(state, conversation);
            const title = conversationTitle(state, conversation);
            const last = conversation.lastMessage;
            const typing = [...(state.typing.get(conversation.id)?.keys() ?? [])];
            return (
              <li key={conversation.id}>
                <button
                  class={`row ${conversation.id === state.activeId ? 'active' : ''}`}
                  onClick={() => props.onOpen(conversation.id)}
                  data-testid="conversation-row"
                  aria-current={conversation.id === state.activeId ? 'true' : undefined}
                >
                  <Avatar
                    id={peer ?? conversation.id}
                    name={title}
                    online={peer ? state.presence.get(peer)?.status === 'online' : undefined}
                  />
                  <div class="row-main">
                    <div class="row-top">
                      <strong class="ellipsis">{title}</strong>
                      {last && <span class="muted small">{clockTime(last.createdAt)}</span>}
                    </div>
                    <div class="row-bottom">
                      <span class="row-preview ellipsis">
                        {typing.length > 0 ? (
                          <em>typing…</em>
                        ) : last ? (
                          last.deleted ? (
                            <em>Message deleted</em>
                          ) : (
                            `${last.senderId === state.me.id ? 'You: ' : ''}${last.body ?? ''}`
                          )
                        ) : (
                          <em>No messages yet</em>
                        )}
                      </span>
                      {conversation.unreadCount > 0 && (
                        <span
                          class="badge"
                          data-testid="unread-badge"
                          aria-label={`${conversation.unreadCount} unread`}
                        >
                          {conversation.unreadCount}
                        </span>
                      )}
                    </div>
                  </div>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </aside>
  );
}
