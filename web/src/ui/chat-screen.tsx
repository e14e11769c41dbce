import type { ChatStore } from '../state/chat-store';
import { ConversationView } from './conversation-view';
import { Sidebar } from './sidebar';
import { useChat } from './use-chat';

/** The list beside the open conversation; on a phone, one or the other. */
export function ChatScreen(props: { store: ChatStore; onSignOut: () => void }) {
  const state = useChat(props.store);
  const open = (id: string | null) => {
    props.store.open(id).catch(() => undefined);
  };
  return (
    <div class={`chat ${state.activeId ? 'has-active' : ''}`}>
      {state.connection !== 'open' && (
        <div class="banner" role="status" data-testid="connection-banner">
          {state.connection === 'connecting'
            ? 'Connecting…'
            : 'Offline — reconnecting when the network is back'}
        </div>
      )}
      <Sidebar store={props.store} state={state} onOpen={open} onSignOut={props.onSignOut} />
      {state.activeId ? (
        <ConversationView key={state.activeId} store={props.store} state={state} onBack={() => open(null)} />
      ) : (
        <section class="empty-pane">
          <p>Pick a conversation, or start one with “New”.</p>
        </section>
      )}
    </div>
  );
}
