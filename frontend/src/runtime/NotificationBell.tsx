/** The bell in the top bar: unread in-app notifications (checked every minute), each marked read when opened. */
import { useEffect, useState } from 'react';
import { Badge, Button, Empty, List, Popover, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { runtimeApi, type NotificationList } from '../api';
import { useI18n } from '../i18n';
import { localTime } from './FlowHistory';
import './runtime.css';

const POLL_MS = 60_000;

export function NotificationBell() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [data, setData] = useState<NotificationList | null>(null);
  const [open, setOpen] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    // a bell that cannot load stays quiet; the pages show errors
    runtimeApi.notifications(controller.signal).then(setData).catch(() => undefined);
    const timer = setTimeout(() => setTick((n) => n + 1), POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [tick, open]);

  const readAll = async () => {
    await runtimeApi.readAllNotifications().catch(() => undefined);
    setTick((n) => n + 1);
  };

  const content = (
    <div className="rt-bell" data-testid="notifications">
      <List
        size="small"
        dataSource={data?.items ?? []}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.bell.empty')} /> }}
        renderItem={(n) => (
          <List.Item
            className={n.read_at ? 'rt-bell__item' : 'rt-bell__item rt-bell__item--unread'}
            onClick={async () => {
              if (!n.read_at) await runtimeApi.readNotification(n.id).catch(() => undefined);
              setOpen(false);
              setTick((x) => x + 1);
              if (n.app && n.form && n.record) {
                navigate(`/apps/${encodeURIComponent(n.app)}/forms/${encodeURIComponent(n.form)}?record=${n.record}`);
              } else if (n.instance) navigate('/tasks');
            }}
          >
            <List.Item.Meta
              title={n.title || n.reason}
              description={<>
                {n.text ? <div>{n.text}</div> : null}
                <Typography.Text type="secondary">{localTime(n.created_at)}</Typography.Text>
              </>}
            />
          </List.Item>
        )}
      />
      {data?.unread ? <Button type="link" block onClick={readAll}>{t('rt.bell.readAll')}</Button> : null}
    </div>
  );

  return (
    <Popover content={content} title={t('rt.bell.title')} trigger="click" open={open} onOpenChange={setOpen}
      placement="bottomRight">
      <Button type="text" aria-label={t('rt.bell.title')} data-testid="bell"
        icon={<Badge count={data?.unread ?? 0} size="small"><BellOutlined /></Badge>} />
    </Popover>
  );
}
