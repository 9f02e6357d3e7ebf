/**
 * A report's answer that follows the report as it is edited: debounced, the request before aborted, so the preview
 * shows the newest version and never an older one arriving late.
 */
import { useEffect, useState } from 'react';
import { ApiError } from '../../api';
import type { Problem } from '../types';
import type { ReportAnswer } from './api';

export interface PreviewState {
  answer: ReportAnswer | null;
  error: unknown;
  /** the server's problems with the report, by place ("/dimensions/0/field") */
  problems: Problem[];
  loading: boolean;
}

/** `load` runs after `delay` ms of quiet; `key` is what decides that something changed (the report as JSON). */
export function useReportAnswer(
  key: string,
  load: (signal: AbortSignal) => Promise<ReportAnswer>,
  delay = 500,
): PreviewState {
  const [state, setState] = useState<PreviewState>({ answer: null, error: null, problems: [], loading: true });
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const timer = window.setTimeout(() => {
      load(controller.signal)
        .then((answer) => {
          if (!controller.signal.aborted) setState({ answer, error: null, problems: [], loading: false });
        })
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          const problems = error instanceof ApiError ? error.details.map((d) => ({ path: d.path ?? '', message: d.message })) : [];
          setState((s) => ({ answer: problems.length ? s.answer : null, error, problems, loading: false }));
        });
    }, delay);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
    // `key` stands for everything `load` reads
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, delay]);
  return state;
}
