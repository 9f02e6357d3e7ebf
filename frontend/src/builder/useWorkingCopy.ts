/**
 * The builder's working copy of one app: loaded from the draft (or the published definition), checked against the
 * server as it changes, kept in this browser until saved (a closed tab loses nothing), saved as the draft and
 * published. Designers only ever see one item and its problems; this hook holds the rest.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api';
import { builderApi } from './api';
import type { AppDraft, Item, Problem, SectionKey } from './types';

const BACKUP_PREFIX = 'nocode.builder.';
const CHECK_DELAY_MS = 600;

function readBackup(key: string): AppDraft | null {
  try {
    const text = window.localStorage.getItem(BACKUP_PREFIX + key);
    return text ? (JSON.parse(text) as AppDraft) : null;
  } catch {
    return null;
  }
}

function writeBackup(key: string, app: AppDraft | null): void {
  try {
    if (app) window.localStorage.setItem(BACKUP_PREFIX + key, JSON.stringify(app));
    else window.localStorage.removeItem(BACKUP_PREFIX + key);
  } catch {
    // storage full or unavailable: the working copy still lives in this page
  }
}

export interface WorkingCopy {
  loading: boolean;
  error: unknown;
  app: AppDraft | null;
  /** The published definition, for the publish dialog's list of changes. */
  published: AppDraft | null;
  /** The number of the published version. */
  currentVersion: number | null;
  /** The working copy differs from what the server holds (draft or published). */
  dirty: boolean;
  /** There is a saved draft that is not published yet. */
  hasDraft: boolean;
  problems: Problem[];
  checking: boolean;
  /** Unsaved changes found in this browser from an earlier visit. */
  recovered: AppDraft | null;
  restore: () => void;
  dropRecovered: () => void;
  update: (change: (app: AppDraft) => AppDraft) => void;
  setItem: (section: SectionKey, key: string, item: Item) => void;
  addItem: (section: SectionKey, item: Item) => void;
  removeItem: (section: SectionKey, key: string) => void;
  save: () => Promise<boolean>;
  publish: () => Promise<number | null>;
  discard: () => Promise<void>;
  reload: () => void;
}

function problemsOf(error: unknown): Problem[] | null {
  if (error instanceof ApiError && error.status === 422) return error.details.map((d) => ({ path: d.path, message: d.message }));
  return null;
}

export function useWorkingCopy(appKey: string): WorkingCopy {
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [app, setApp] = useState<AppDraft | null>(null);
  const [published, setPublished] = useState<AppDraft | null>(null);
  const [currentVersion, setCurrentVersion] = useState<number | null>(null);
  const [baseline, setBaseline] = useState<string>('');
  const [hasDraft, setHasDraft] = useState(false);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [checking, setChecking] = useState(false);
  const [recovered, setRecovered] = useState<AppDraft | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    Promise.all([
      builderApi.workingCopy(appKey, controller.signal),
      builderApi.published(appKey, controller.signal),
      builderApi.versions(appKey, controller.signal),
    ])
      .then(([copy, live, versions]) => {
        setCurrentVersion(versions[0]?.version ?? null);
        const working = { ...copy.app, forms: copy.app.forms ?? [] }; // the server leaves empty sections out
        const text = JSON.stringify(working);
        setApp(working);
        setPublished(live);
        setBaseline(text);
        setHasDraft(copy.fromDraft);
        const backup = readBackup(appKey);
        setRecovered(backup && JSON.stringify(backup) !== text ? backup : null);
        setLoading(false);
      })
      .catch((e) => {
        if (controller.signal.aborted) return;
        setError(e);
        setLoading(false);
      });
    return () => controller.abort();
  }, [appKey, generation]);

  const text = useMemo(() => (app ? JSON.stringify(app) : ''), [app]);
  const dirty = !!app && text !== baseline;

  // keep unsaved work in this browser; forget it once the server has it
  useEffect(() => {
    if (!app) return;
    writeBackup(appKey, dirty ? app : null);
  }, [appKey, app, dirty]);

  // check the working copy as it changes (the server is the one judge of the format)
  const checked = useRef('');
  useEffect(() => {
    if (!app || text === checked.current) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      setChecking(true);
      builderApi
        .check(appKey, app, controller.signal)
        .then((answer) => {
          checked.current = text;
          setProblems(answer.problems);
        })
        .catch((e) => {
          const found = problemsOf(e);
          if (found) setProblems(found);
        })
        .finally(() => {
          if (!controller.signal.aborted) setChecking(false);
        });
    }, CHECK_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [appKey, app, text]);

  const update = useCallback((change: (current: AppDraft) => AppDraft) => {
    setApp((current) => (current ? change(current) : current));
  }, []);

  const setItem = useCallback(
    (section: SectionKey, key: string, item: Item) =>
      update((current) => ({
        ...current,
        [section]: ((current[section] as Item[] | undefined) ?? []).map((it) => (it.key === key ? item : it)),
      })),
    [update],
  );

  const addItem = useCallback(
    (section: SectionKey, item: Item) =>
      update((current) => {
        const next: AppDraft = { ...current, [section]: [...((current[section] as Item[] | undefined) ?? []), item] };
        // a new form or dashboard gets a menu entry when the app lists its menus (else every one shows anyway)
        const target = section === 'forms' ? 'form' : section === 'dashboards' ? 'dashboard' : null;
        if (target && current.menus?.length)
          next.menus = [...current.menus, { label: item.name ?? item.key, [target]: item.key }];
        return next;
      }),
    [update],
  );

  const removeItem = useCallback(
    (section: SectionKey, key: string) =>
      update((current) => {
        const next: AppDraft = { ...current, [section]: ((current[section] as Item[] | undefined) ?? []).filter((it) => it.key !== key) };
        const target = section === 'forms' ? 'form' : section === 'dashboards' ? 'dashboard' : null;
        if (target && current.menus) next.menus = current.menus.filter((m) => m[target] !== key);
        return next;
      }),
    [update],
  );

  const save = useCallback(async () => {
    if (!app) return false;
    try {
      await builderApi.saveDraft(appKey, app);
      setBaseline(JSON.stringify(app));
      setHasDraft(true);
      setProblems([]);
      return true;
    } catch (e) {
      const found = problemsOf(e);
      if (!found) throw e;
      setProblems(found);
      return false;
    }
  }, [app, appKey]);

  const publish = useCallback(async () => {
    if (dirty && !(await save())) return null;
    const answer = await builderApi.publish(appKey);
    writeBackup(appKey, null);
    setGeneration((g) => g + 1);
    return answer.version;
  }, [appKey, dirty, save]);

  const discard = useCallback(async () => {
    if (hasDraft) await builderApi.discardDraft(appKey);
    writeBackup(appKey, null);
    setGeneration((g) => g + 1);
  }, [appKey, hasDraft]);

  return {
    loading,
    error,
    app,
    published,
    currentVersion,
    dirty,
    hasDraft,
    problems,
    checking,
    recovered,
    restore: () => {
      if (recovered) setApp(recovered);
      setRecovered(null);
    },
    dropRecovered: () => {
      writeBackup(appKey, null);
      setRecovered(null);
    },
    update,
    setItem,
    addItem,
    removeItem,
    save,
    publish,
    discard,
    reload: () => setGeneration((g) => g + 1),
  };
}
