import { initials } from './format';

/** Initials on a colour derived from the id, with a presence dot when `online` is known. */
export function Avatar(props: { id: string; name: string; online?: boolean | undefined; small?: boolean }) {
  let hash = 0;
  for (const char of props.id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return (
    <span
      class={`avatar${props.small ? ' avatar-small' : ''}`}
      style={{ '--hue': String(hash % 360) }}
      aria-hidden="true"
    >
      {initials(props.name)}
      {props.online !== undefined && (
        <span class={`presence-dot ${props.online ? 'online' : 'offline'}`} data-testid="presence-dot" />
      )}
    </span>
  );
}
