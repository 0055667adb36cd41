import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { ConfirmProvider } from '../components/Confirm.js';
import { ToastProvider, useToast } from '../components/Toast.js';
import { I18nProvider } from '../i18n/index.js';
import { isApiError } from '../lib/api.js';
import { ThemeProvider } from '../lib/theme.js';
import { authKeys } from '../features/auth/api/get-me.js';

/**
 * One QueryClient per app. Errors are never swallowed: a failed mutation shows a toast unless it
 * says `meta: { silent: true }` (forms that show the error inline); a 401 anywhere means the
 * session ended, so the app falls back to the sign-in screen.
 */
function QueryProvider({ children }: { children: ReactNode }) {
  const toast = useToast();
  const [client] = useState(() => {
    // eslint-disable-next-line prefer-const -- the callbacks below run only after it is assigned
    let qc: QueryClient;
    const onAuthLost = (e: unknown) => {
      if (isApiError(e) && e.status === 401 && qc.getQueryData(authKeys.me)) {
        qc.setQueryData(authKeys.me, null);
        return true;
      }
      return false;
    };
    qc = new QueryClient({
      defaultOptions: {
        queries: { retry: (n, e) => !(isApiError(e) && e.status >= 400 && e.status < 500) && n < 2, refetchOnWindowFocus: false, staleTime: 15_000 },
      },
      queryCache: new QueryCache({
        onError: (e) => {
          onAuthLost(e);
        },
      }),
      mutationCache: new MutationCache({
        onError: (e, _v, _c, m) => {
          if (onAuthLost(e)) return;
          if (!m.meta?.silent) toast.error(e);
        },
      }),
    });
    return qc;
  });
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

export function AppProviders({ children }: { children: ReactNode }) {
  return (
    <I18nProvider>
      <ThemeProvider>
        <ToastProvider>
          <QueryProvider>
            <ConfirmProvider>{children}</ConfirmProvider>
          </QueryProvider>
        </ToastProvider>
      </ThemeProvider>
    </I18nProvider>
  );
}
