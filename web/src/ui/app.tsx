import { useEffect, useState } from 'preact/hooks';
import { RealtimeClient, type Me, type RestClient } from '../protocol';
import { ChatStore } from '../state/chat-store';
import { AuthScreen } from './auth-screen';
import { ChatScreen } from './chat-screen';

/** Signed out: the login screen. Signed in: the chat, over one store for the session. */
export function App({ rest }: { rest: RestClient }) {
  const [store, setStore] = useState<ChatStore | null>(null);
  const [checking, setChecking] = useState(rest.signedIn);

  const begin = (me: Me) => {
    const realtime = new RealtimeClient({
      baseUrl: rest.baseUrl,
      accessToken: () => rest.accessToken(),
      renewTokens: () => rest.refresh(),
    });
    const chat = new ChatStore(rest, realtime, me, () => document.visibilityState === 'visible');
    setStore(chat);
    chat.start().catch(() => undefined);
  };

  useEffect(() => {
    // A stored session: resume it (the REST client refreshes the tokens if they expired).
    if (rest.signedIn)
      rest
        .me()
        .then(begin, () => undefined)
        .finally(() => setChecking(false));
    const signedOut = () => setStore(null);
    window.addEventListener('parley:signed-out', signedOut);
    return () => window.removeEventListener('parley:signed-out', signedOut);
  }, []);

  useEffect(() => {
    if (!store) return;
    // The browser knows before the socket does: drop it at once, and come back as soon as the network does.
    const online = () => store.realtime.setNetworkAvailable(true);
    const offline = () => store.realtime.setNetworkAvailable(false);
    const visible = () => {
      if (document.visibilityState === 'visible') store.markReadSoon();
    };
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    document.addEventListener('visibilitychange', visible);
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      document.removeEventListener('visibilitychange', visible);
      store.stop();
    };
  }, [store]);

  if (checking) return <div class="splash">Parley</div>;
  if (!store) return <AuthScreen rest={rest} onSignedIn={begin} />;
  const signOut = () => {
    rest.logout().catch(() => undefined);
    setStore(null);
  };
  return <ChatScreen store={store} onSignOut={signOut} />;
}
