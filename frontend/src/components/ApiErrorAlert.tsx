import type { ReactNode } from 'react';
import { Alert } from 'antd';
import { ApiError, NETWORK_ERROR } from '../api';
import { useI18n, type Translate } from '../i18n';

/** The message to show a user for an error thrown by the API client (or anything else). */
export function errorMessage(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    if (error.code === NETWORK_ERROR) return t('error.network');
    return error.message || t('error.unknown');
  }
  return t('error.unknown');
}

/** Shows an API error: the server's `message`, and its `details` as a list of `path: message`. */
export function ApiErrorAlert({
  error,
  title,
  action,
  testId = 'api-error',
}: {
  error: unknown;
  title?: ReactNode;
  action?: ReactNode;
  testId?: string;
}) {
  const { t } = useI18n();
  const details = error instanceof ApiError ? error.details : [];
  const message = errorMessage(error, t);
  return (
    <Alert
      type="error"
      showIcon
      data-testid={testId}
      title={title ?? message}
      description={
        title || details.length > 0 ? (
          <>
            {title ? <div>{message}</div> : null}
            {details.length > 0 ? (
              <ul className="error-details">
                {details.map((d, i) => (
                  <li key={`${d.path}-${i}`}>
                    {d.path ? <code>{d.path}</code> : null}
                    {d.path ? ': ' : null}
                    {d.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        ) : undefined
      }
      action={action}
    />
  );
}
