import { useEffect, useState } from 'preact/hooks';
import type { ChatState } from '../state/chat-state';
import type { ChatStore } from '../state/chat-store';

/** The store's state, redrawn on every change. */
export function useChat(store: ChatStore): ChatState {
  const [state, setState] = useState(store.state);
  useEffect(() => store.subscribe(() => setState(store.state)), [store]);
  return state;
}
