/**
 * The drawn tree's labels meet WCAG AA (4.5:1) against the panel's background in VS Code's
 * default themes, and nothing makes them fainter (no opacity on a label).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** From VS Code's theme-defaults (dark_modern.json, light_modern.json and the Dark+/Light+ defaults they include). */
const THEMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'Dark Modern': { foreground: '#CCCCCC', descriptionForeground: '#9D9D9D', 'panel-background': '#181818', 'editor-background': '#1F1F1F' },
  'Light Modern': { foreground: '#3B3B3B', descriptionForeground: '#3B3B3B', 'panel-background': '#F8F8F8', 'editor-background': '#FFFFFF' },
  // VS Code's built-in defaults where a theme sets none (colorRegistry: panel.background is the editor's).
  'Dark+': { foreground: '#CCCCCC', descriptionForeground: '#CCCCCCB3', 'panel-background': '#1E1E1E', 'editor-background': '#1E1E1E' },
  'Light+': { foreground: '#616161', descriptionForeground: '#717171', 'panel-background': '#FFFFFF', 'editor-background': '#FFFFFF' },
};

function rgba(hex: string): [number, number, number, number] {
  const h = hex.replace('#', '');
  const n = (i: number) => parseInt(h.slice(i, i + 2), 16);
  return [n(0), n(2), n(4), h.length === 8 ? n(6) / 255 : 1];
}

/** A colour with alpha, laid over the background it is drawn on. */
function over(fg: string, bg: string): [number, number, number] {
  const [r, g, b, a] = rgba(fg);
  const [R, G, B] = rgba(bg);
  return [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
}

function luminance([r, g, b]: readonly number[]): number {
  const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
}

function contrast(fg: string, bg: string): number {
  const [a, b] = [luminance(over(fg, bg)), luminance(rgba(bg))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

describe('tree label contrast', () => {
  const css = readFileSync(join(__dirname, '..', '..', 'media', 'panel.css'), 'utf8');
  const rules = [...css.matchAll(/([^{}]+)\{([^}]*)\}/g)].map((m) => ({ selector: m[1]!.replace(/\/\*[\s\S]*?\*\//g, '').trim(), body: m[2]! }));
  const fillOf = (selector: string) => {
    const rule = rules.find((r) => r.selector === selector);
    assert.ok(rule, `no rule ${selector}`);
    const fill = /(?:^|;)\s*fill:\s*var\(--vscode-([\w-]+)\)/.exec(rule.body);
    assert.ok(fill, `${selector} sets no theme fill`);
    return fill[1]!;
  };

  it('labels on and off the candidates\' paths reach 4.5:1 in the light and dark default themes', () => {
    const labelColours = [fillOf('.tree-labels'), fillOf('.tree-labels .off-path')];
    for (const [theme, colours] of Object.entries(THEMES)) {
      for (const name of labelColours) {
        const fg = colours[name];
        assert.ok(fg, `${theme} has no ${name}`);
        const ratio = contrast(fg, colours['panel-background']!);
        assert.ok(ratio >= 4.5, `${theme}: ${name} ${fg} on ${colours['panel-background']} is ${ratio.toFixed(2)}:1`);
      }
    }
  });

  it('no rule makes a label or the labels\' layer transparent', () => {
    for (const r of rules.filter((rule) => /tree-labels|off-path|(^|[\s,])text\b|(^|[\s,])\.dim\b/.test(rule.selector))) {
      assert.doesNotMatch(r.body, /(^|;)\s*(fill-)?opacity\s*:/, `${r.selector} { ${r.body} }`);
    }
  });

  it('the measure itself: black on white is 21:1, #777 on white about 4.48:1', () => {
    assert.equal(Math.round(contrast('#000000', '#FFFFFF')), 21);
    assert.ok(Math.abs(contrast('#777777', '#FFFFFF') - 4.48) < 0.01);
  });
});
