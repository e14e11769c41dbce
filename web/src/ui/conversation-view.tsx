import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '../protocol';
import { conversationTitle, directPeer, type ChatState } from '../state/chat-state';
import type { ChatStore } from '../state/chat-store';
import { Avatar } from './avatar';
import { Composer } from './composer';
import { dayLabel, lastSeen, sameDay } from './format';
import { MessageItem, PendingItem } from './message-item';

/** Consecutive messages of one sender within this long share one header. */
const GROUP_WINDOW_MS = 5 * 60_000;

/** The open conversation: who is in it, its messages (older ones as you scroll up), and the composer. */
export function ConversationView(props: { store: ChatStore; state: ChatState; onBack: () => void }) {
  const { store, state } = props;
  const id = state.activeId!;
  const conversation = state.conversations.get(id);
  const page = state.messages.get(id);
  const pending = state.pending.get(id) ?? [];
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const heightBeforeOlder = useRef<number | null>(null);

  // Keep the view where the reader left it: at the bottom for new messages, in place when older ones load above.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    if (heightBeforeOlder.current !== null) {
      element.scrollTop += element.scrollHeight - heightBeforeOlder.current;
      heightBeforeOlder.current = null;
    } else if (stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [page?.items.length, pending.length, page?.items.at(-1)?.id]);

  // Images load after the layout: keep a reader who was at the bottom there.
  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const loaded = () => {
      if (stickToBottom.current) element.scrollTop = element.scrollHeight;
    };
    element.addEventListener('load', loaded, true);
    return () => element.removeEventListener('load', loaded, true);
  }, [scroller.current]);

  if (!conversation) return <section class="conversation" />;
  const peer = directPeer(state, conversation);
  const presence = peer ? state.presence.get(peer) : undefined;
  const typers = [...(state.typing.get(id)?.keys() ?? [])].map((userId) => store.userName(userId));
  const messages = page?.items ?? [];
  const byId = new Map(messages.map((message) => [message.id, message]));
  const markers = state.readMarkers.get(id);
  const lastOwn = [...messages].reverse().find((message) => message.senderId === state.me.id);
  const seenBy = lastOwn
    ? conversation.members
        .filter(
          (member) => member.userId !== state.me.id && (markers?.get(member.userId) ?? 0) >= lastOwn.seq,
        )
        .map((member) => store.userName(member.userId))
    : [];

  const onScroll = () => {
    const element = scroller.current!;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
    if (element.scrollTop < 120 && page?.hasMore && !page.loadingOlder) {
      heightBeforeOlder.current = element.scrollHeight;
      store.loadOlder(id).catch(() => (heightBeforeOlder.current = null));
    }
  };

  return (
    <section
      class="conversation"
      aria-label={conversationTitle(state, conversation)}
      data-conversation-id={id}
    >
      <header class="conversation-header">
        <button class="ghost back" onClick={props.onBack} aria-label="Back to conversations">
          ←
        </button>
        <Avatar
          id={peer ?? conversation.id}
          name={conversationTitle(state, conversation)}
          online={presence ? presence.status === 'online' : undefined}
        />
        <div class="who">
          <strong data-testid="conversation-title">{conversationTitle(state, conversation)}</strong>
          <span class="muted small" data-testid="conversation-status">
            {typers.length > 0
              ? `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…`
              : peer
                ? presence?.status === 'online'
                  ? 'online'
                  : lastSeen(presence?.lastSeenAt ?? null)
                : `${conversation.members.length} members`}
          </span>
        </div>
      </header>
      <div class="messages" ref={scroller} onScroll={onScroll} data-testid="messages" aria-live="polite">
        {page?.loadingOlder && <p class="muted center small">Loading older messages…</p>}
        {page?.loaded && !page.hasMore && (
          <p class="muted center small">This is the start of the conversation.</p>
        )}
        {messages.map((message, index) => {
          const previous = messages[index - 1];
          const newDay = !previous || !sameDay(previous.createdAt, message.createdAt);
          const continued =
            !newDay &&
            previous.senderId === message.senderId &&
            new Date(message.createdAt).getTime() - new Date(previous.createdAt).getTime() < GROUP_WINDOW_MS;
          return (
            <div key={message.id}>
              {newDay && <div class="day">{dayLabel(message.createdAt)}</div>}
              <MessageItem
                store={store}
                message={message}
                mine={message.senderId === state.me.id}
                continued={continued}
                replied={message.replyTo ? byId.get(message.replyTo) : undefined}
                onReply={() => setReplyTo(message)}
              />
              {message === lastOwn && seenBy.length > 0 && (
                <div class="seen" data-testid="seen-by">
                  Seen{conversation.kind === 'group' ? ` by ${seenBy.join(', ')}` : ''}
                </div>
              )}
            </div>
          );
        })}
        {pending.map((item) => (
          <PendingItem key={item.clientMsgId} store={store} pending={item} />
        ))}
      </div>
      <Composer
        store={store}
        conversationId={id}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onSent={() => {
          stickToBottom.current = true;
          setReplyTo(null);
        }}
      />
    </section>
  );
}
