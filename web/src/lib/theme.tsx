/** Light/dark: follows the system by default; a choice is stored and set as `data-theme` on <html>. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'fastnpc.theme';

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

interface ThemeValue {
  choice: ThemeChoice;
  setChoice: (c: ThemeChoice) => void;
  /** The header's toggle: flips between light and dark from whatever is showing now. */
  toggle: () => void;
  /** Whether dark is showing now. */
  dark: boolean;
}

const ThemeContext = createContext<ThemeValue | null>(null);

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [choice, setChoiceState] = useState<ThemeChoice>(read);
  useEffect(() => {
    const el = document.documentElement;
    if (choice === 'system') delete el.dataset.theme;
    else el.dataset.theme = choice;
  }, [choice]);
  const setChoice = useCallback((c: ThemeChoice) => {
    setChoiceState(c);
    try {
      if (c === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, c);
    } catch {
      // not persisted
    }
  }, []);
  const value = useMemo<ThemeValue>(() => {
    const dark = choice === 'dark' || (choice === 'system' && systemDark());
    return { choice, setChoice, dark, toggle: () => setChoice(dark ? 'light' : 'dark') };
  }, [choice, setChoice]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeValue {
  const v = useContext(ThemeContext);
  if (!v) throw new Error('useTheme outside ThemeProvider');
  return v;
}
