import { MutationCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { ConfirmProvider } from '../components/Confirm.js';
import { ToastProvider, useToast } from '../components/Toast.js';
import { I18nProvider } from '../i18n/index.js';
import { isApiError, onUnauthorized } from '../lib/api.js';
import { ThemeProvider } from '../lib/theme.js';
import { authKeys, type SessionEnd } from '../features/auth/api/get-me.js';

/**
 * One QueryClient per app. Errors are never swallowed: a failed mutation shows a toast unless it
 * says `meta: { silent: true }` (forms that show the error inline). A 401 from any request means
 * the session ended elsewhere: the session query becomes `null`, so App shows the sign-in screen
 * (and drops every other cached query, see App).
 */
function QueryProvider({ children }: { children: ReactNode }) {
  const toast = useToast();
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { retry: (n, e) => !(isApiError(e) && e.status >= 400 && e.status < 500) && n < 2, refetchOnWindowFocus: false, staleTime: 15_000 },
        },
        mutationCache: new MutationCache({
          onError: (e, _v, _c, m) => {
            if (isApiError(e) && e.status === 401) return; // the sign-in screen says it
            if (!m.meta?.silent) toast.error(e);
          },
        }),
      }),
  );
  useEffect(
    () =>
      onUnauthorized(() => {
        if (!client.getQueryData(authKeys.me)) return;
        client.setQueryData<SessionEnd>(authKeys.ended, 'expired');
        client.setQueryData(authKeys.me, null);
      }),
    [client],
  );
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
