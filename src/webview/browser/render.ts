/** Small DOM helpers for the panel: attributes and text only, never HTML strings. */
export function el(tag: string, props: { className?: string; text?: string; role?: string; id?: string; tabindex?: string; ariaLabel?: string; ariaDescribedby?: string } = {}, children: Node[] = []): HTMLElement {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.role) node.setAttribute('role', props.role);
  if (props.id) node.id = props.id;
  if (props.tabindex !== undefined) node.setAttribute('tabindex', props.tabindex);
  if (props.ariaLabel) node.setAttribute('aria-label', props.ariaLabel);
  if (props.ariaDescribedby) node.setAttribute('aria-describedby', props.ariaDescribedby);
  for (const child of children) node.appendChild(child);
  return node;
}

export { showToken } from '../token-text';

export function probabilityClass(p: number): string {
  if (p >= 0.9) return 'p-high';
  if (p >= 0.5) return 'p-mid';
  if (p >= 0.2) return 'p-low';
  return 'p-vlow';
}

export function formatNumber(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}
