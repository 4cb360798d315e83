export type ThemeName = 'light' | 'dark';

/** Colors the canvases need (CSS variables cannot reach WebGL or 2D canvas drawing). */
export interface ThemeColors {
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  isoline: string;
  accent: string;
}

export const THEMES: Record<ThemeName, ThemeColors> = {
  light: { background: '#ffffff', foreground: '#1d232b', muted: '#5b6573', grid: '#c9ced6', isoline: '#111111', accent: '#d62728' },
  dark: { background: '#15191f', foreground: '#e6e9ee', muted: '#9aa4b2', grid: '#3a424e', isoline: '#f4f4f4', accent: '#ff6b5e' },
};

const STORAGE_KEY = 'loss-atlas-theme';

export function initialTheme(): ThemeName {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'light' || stored === 'dark') return stored;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: ThemeName): void {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(STORAGE_KEY, theme);
}
