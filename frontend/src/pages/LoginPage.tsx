import { useState } from 'react';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { BarChartOutlined, BranchesOutlined, FormOutlined, LockOutlined, UserOutlined } from '@ant-design/icons';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/context';
import { ApiErrorAlert } from '../components/ApiErrorAlert';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { Logo } from '../components/Logo';
import { useI18n } from '../i18n';

interface LoginValues {
  username: string;
  password: string;
}

function redirectTarget(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('/login') ? from : '/';
}

export function LoginPage() {
  const { t } = useI18n();
  const { token, login, sessionExpired } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (token && !submitting) return <Navigate to={redirectTarget(location.state)} replace />;

  const onFinish = async ({ username, password }: LoginValues) => {
    setSubmitting(true);
    setError(null);
    try {
      await login(username.trim(), password);
      navigate(redirectTarget(location.state), { replace: true });
    } catch (err) {
      setError(err);
      setSubmitting(false);
    }
  };

  const features = [
    { icon: <FormOutlined />, text: t('login.hero.feature.forms') },
    { icon: <BranchesOutlined />, text: t('login.hero.feature.flows') },
    { icon: <BarChartOutlined />, text: t('login.hero.feature.reports') },
  ];

  return (
    <div className="login">
      <aside className="login__hero" aria-hidden="true">
        <div className="login__hero-inner">
          <Logo size={36} inverted />
          <div className="login__hero-copy">
            <h2 className="login__hero-title">{t('login.hero.title')}</h2>
            <p className="login__hero-subtitle">{t('login.hero.subtitle')}</p>
            <ul className="login__features">
              {features.map((f) => (
                <li key={f.text}>
                  <span className="login__feature-icon">{f.icon}</span>
                  {f.text}
                </li>
              ))}
            </ul>
          </div>
          <div className="login__hero-footer">{t('app.copyright')}</div>
        </div>
        <div className="login__hero-art">
          <span />
          <span />
          <span />
          <span />
        </div>
      </aside>

      <main className="login__main">
        <div className="login__topbar">
          <LanguageSwitch />
        </div>
        <div className="login__panel">
          <div className="login__panel-brand">
            <Logo size={40} />
          </div>
          <Typography.Title level={3} className="login__title" data-testid="login-title">
            {t('login.title')}
          </Typography.Title>
          <Typography.Paragraph type="secondary" className="login__subtitle">
            {t('login.subtitle')}
          </Typography.Paragraph>

          {error ? (
            <div className="login__alert">
              <ApiErrorAlert error={error} testId="login-error" />
            </div>
          ) : sessionExpired ? (
            <div className="login__alert">
              <Alert type="warning" showIcon title={t('login.sessionExpired')} data-testid="session-expired" />
            </div>
          ) : null}

          <Form<LoginValues>
            layout="vertical"
            size="large"
            requiredMark={false}
            onFinish={onFinish}
            disabled={submitting}
            data-testid="login-form"
          >
            <Form.Item
              label={t('login.username')}
              name="username"
              rules={[{ required: true, whitespace: true, message: t('login.username.required') }]}
            >
              <Input
                prefix={<UserOutlined className="login__input-icon" />}
                placeholder={t('login.username.placeholder')}
                autoComplete="username"
                autoFocus
                data-testid="login-username"
              />
            </Form.Item>
            <Form.Item
              label={t('login.password')}
              name="password"
              rules={[{ required: true, message: t('login.password.required') }]}
            >
              <Input.Password
                prefix={<LockOutlined className="login__input-icon" />}
                placeholder={t('login.password.placeholder')}
                autoComplete="current-password"
                data-testid="login-password"
              />
            </Form.Item>
            <Form.Item className="login__submit">
              <Button type="primary" htmlType="submit" block loading={submitting} data-testid="login-submit">
                {t('login.submit')}
              </Button>
            </Form.Item>
          </Form>
        </div>
        <div className="login__footer">{t('app.copyright')}</div>
      </main>
    </div>
  );
}
