import { useCallback, useState } from 'react';

/**
 * Checkboxes that show their new state at once while the change is saved: the override holds
 * until the mutation settles (after the refetch it triggers), and is dropped on failure.
 *
 * @example
 *   const pending = usePending();
 *   <input type="checkbox" checked={pending.value(key, entry.enabled)} onChange={(e) => pending.run(key, e.target.checked, (on) => save(on))} />
 */
export function usePending() {
  const [overrides, setOverrides] = useState<Record<string, boolean>>({});
  const drop = useCallback((key: string) => setOverrides(({ [key]: _gone, ...rest }) => rest), []);
  return {
    value: (key: string, actual: boolean) => overrides[key] ?? actual,
    run: (key: string, on: boolean, save: (on: boolean, settled: () => void) => void) => {
      setOverrides((o) => ({ ...o, [key]: on }));
      save(on, () => drop(key));
    },
  };
}
