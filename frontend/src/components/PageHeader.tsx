import type { ReactNode } from 'react';
import { Typography } from 'antd';

/** Title row of a console page: title, optional subtitle, actions on the right. */
export function PageHeader({
  title,
  subtitle,
  extra,
  leading,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  extra?: ReactNode;
  leading?: ReactNode;
}) {
  return (
    <div className="page-header">
      {leading}
      <div className="page-header__text">
        <Typography.Title level={3} className="page-header__title" data-testid="page-title">
          {title}
        </Typography.Title>
        {subtitle ? (
          <Typography.Text type="secondary" className="page-header__subtitle">
            {subtitle}
          </Typography.Text>
        ) : null}
      </div>
      {extra ? <div className="page-header__extra">{extra}</div> : null}
    </div>
  );
}
