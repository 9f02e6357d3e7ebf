/**
 * Comments on a record: the list (oldest first), a box to add one where typing @ searches the people directory
 * (the people picked are notified by the server), and delete for one's own comments (admins: any).
 */
import { useRef, useState } from 'react';
import { App as AntApp, Avatar, Button, Empty, List, Mentions, Popconfirm, Skeleton, Space, Typography } from 'antd';
import { DeleteOutlined, SendOutlined } from '@ant-design/icons';
import { runtimeApi, type Person, type RecordComment } from '../api';
import { ApiErrorAlert, errorMessage } from '../components/ApiErrorAlert';
import { useI18n } from '../i18n';
import { useAsync } from '../useAsync';
import { wallTime } from './fields';

/** The people still @mentioned in the text (a mention deleted from the text is not sent). */
export function mentionedIds(text: string, picked: Map<number, string>): number[] {
  return [...picked].filter(([, name]) => text.includes(`@${name}`)).map(([id]) => id);
}

/** The comment's text with its @mentions in bold. */
function withMentions(comment: RecordComment) {
  const names = comment.mentions.map((m) => `@${m.name}`).sort((a, b) => b.length - a.length);
  if (!names.length) return comment.text;
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return comment.text.split(new RegExp(`(${escaped.join('|')})`)).map((part, i) => (
    names.includes(part) ? <Typography.Text key={i} strong className="rt-mention">{part}</Typography.Text> : part));
}

export function RecordComments({ app, form, recordId }: { app: string; form: string; recordId: number }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const loaded = useAsync((signal) => runtimeApi.comments(app, form, recordId, signal), [app, form, recordId]);
  const [text, setText] = useState('');
  const [options, setOptions] = useState<Person[]>([]);
  const picked = useRef(new Map<number, string>());
  const [sending, setSending] = useState(false);
  const searching = useRef<AbortController | null>(null);

  const search = (q: string) => {
    searching.current?.abort();
    const controller = new AbortController();
    searching.current = controller;
    runtimeApi.people(q, controller.signal).then((page) => setOptions(page.items)).catch(() => undefined);
  };

  const send = async () => {
    if (!text.trim()) return;
    setSending(true);
    try {
      await runtimeApi.addComment(app, form, recordId, text, mentionedIds(text, picked.current));
      setText('');
      picked.current.clear();
      loaded.reload();
    } catch (err) {
      message.error(errorMessage(err, t));
    } finally {
      setSending(false);
    }
  };

  const remove = async (comment: RecordComment) => {
    try {
      await runtimeApi.deleteComment(app, form, recordId, comment.id);
      message.success(t('rt.comments.deleted'));
      loaded.reload();
    } catch (err) {
      message.error(errorMessage(err, t));
    }
  };

  return (
    <div data-testid="record-comments" className="rt-comments">
      {loaded.error ? <ApiErrorAlert error={loaded.error} /> : !loaded.data ? <Skeleton active /> : (
        <List
          dataSource={loaded.data.items}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.comments.empty')} /> }}
          renderItem={(comment) => (
            <List.Item data-testid="comment"
              actions={comment.can_delete ? [
                <Popconfirm key="delete" title={t('rt.comments.deleteConfirm')} onConfirm={() => remove(comment)}>
                  <Button type="text" size="small" danger icon={<DeleteOutlined />} aria-label={t('rt.comments.delete')}
                    data-testid={`comment-delete-${comment.id}`} />
                </Popconfirm>,
              ] : []}>
              <List.Item.Meta
                avatar={<Avatar size="small">{(comment.user?.name ?? '?').slice(0, 1)}</Avatar>}
                title={
                  <Space size={8}>
                    <span>{comment.user?.name ?? t('rt.audit.system')}</span>
                    <Typography.Text type="secondary" className="rt-comments__time">
                      {wallTime(comment.created_at)}
                    </Typography.Text>
                  </Space>
                }
                description={<div className="rt-comments__text">{withMentions(comment)}</div>} />
            </List.Item>
          )}
        />
      )}
      <div className="rt-comments__box">
        <Mentions
          value={text}
          rows={3}
          placeholder={t('rt.comments.placeholder')}
          onChange={setText}
          onSearch={search}
          onSelect={(option) => {
            // the option carries the inserted text (the name); two people of one name: the first listed
            const person = options.find((p) => p.name === option.value);
            if (person) picked.current.set(person.id, person.name);
          }}
          options={options.map((p) => ({
            key: String(p.id), value: p.name, label: p.departments.length ? t('rt.personWithDepts', { name: p.name, departments: p.departments.join(t('rt.listSep')) }) : p.name,
          }))}
          data-testid="comment-input"
        />
        <Button type="primary" icon={<SendOutlined />} loading={sending} disabled={!text.trim()} onClick={send}
          data-testid="comment-send">
          {t('rt.comments.send')}
        </Button>
      </div>
    </div>
  );
}
