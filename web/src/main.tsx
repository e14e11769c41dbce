import { render } from 'preact';
import { RestClient, localTokenStore } from './protocol';
import { App } from './ui/app';
import './styles.css';

const rest = new RestClient({
  baseUrl: location.origin,
  tokens: localTokenStore(localStorage),
  onSignedOut: () => window.dispatchEvent(new Event('parley:signed-out')),
});

render(<App rest={rest} />, document.getElementById('app')!);
