/** The server's problems shown where they are: under the dimension, measure, filter or chart setting they name. */
import { Typography } from 'antd';
import type { Problem } from '../types';

/** Problems at `path` or inside it. */
export function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}/`));
}

/** The places the designer draws problems under; the rest are listed above the designer. */
export const PLACES = ['/source', '/dimensions', '/measures', '/filter', '/metrics', '/sort', '/limit', '/chart', '/name'];

export function unplaced(problems: Problem[]): Problem[] {
  return problems.filter((p) => !PLACES.some((place) => p.path === place || p.path.startsWith(`${place}/`)));
}

export function ProblemText({ problems, at, testId }: { problems: Problem[]; at: string; testId?: string }) {
  const here = problemsAt(problems, at);
  if (!here.length) return null;
  return (
    <div data-testid={testId ?? 'report-problem'} data-path={at}>
      {here.map((p, i) => (
        <Typography.Text key={i} type="danger" style={{ display: 'block', fontSize: 12 }}>
          {p.message}
        </Typography.Text>
      ))}
    </div>
  );
}

/** Server problems from two checks (the workspace's and the preview's), each once. */
export function mergeProblems(...lists: Problem[][]): Problem[] {
  const seen = new Set<string>();
  return lists.flat().filter((p) => {
    const id = `${p.path}\n${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
