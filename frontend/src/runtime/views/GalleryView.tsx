/** Gallery: a card per record, the first picture of the view's `cover` image field on top, then its fields. */
import { Card, Empty, Typography } from 'antd';
import { PictureOutlined } from '@ant-design/icons';
import type { UploadedFile } from '../../api';
import { useI18n } from '../../i18n';
import { fieldLabel, recordTitle, renderValue, valueText } from '../fields';
import { namedFields, recordColors, setting, settingList, type ViewProps } from './model';

/** The address of a record's cover picture: a thumbnail when the server made one. */
export function coverUrl(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value[0] as UploadedFile | undefined) : undefined;
  return first ? first.thumb_url ?? first.signed_url ?? first.url : undefined;
}

export function GalleryView({ view, form, fields, records, scope, onOpen }: ViewProps) {
  const { t, lang } = useI18n();
  const cover = setting(view, 'cover');
  const titleField = fields.find((f) => f.key === setting(view, 'title'));
  const shown = namedFields(fields, settingList(view, 'fields'))
    .filter((f) => f.key !== cover && f.key !== titleField?.key && f.key !== form.title_field).slice(0, 4);
  if (!records.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('rt.list.empty')} />;
  return (
    <div className="rt-gallery" data-testid="view-gallery">
      {records.map((record) => {
        const url = cover ? coverUrl(record[cover]) : undefined;
        const color = recordColors(view, record, scope).record;
        const title = (titleField ? valueText(titleField, record[titleField.key], lang) : '') ||
          recordTitle(form, record, lang);
        return (
          <Card key={record.id} hoverable size="small" className="rt-gallery__card" data-testid="gallery-card"
            onClick={() => onOpen(record.id)} style={color ? { boxShadow: `0 0 0 2px ${color}` } : undefined}
            cover={cover ? (url ? <img src={url} alt={title} className="rt-gallery__cover" />
              : <div className="rt-gallery__cover rt-gallery__cover--none"><PictureOutlined /></div>) : undefined}>
            <Typography.Text strong ellipsis>{title}</Typography.Text>
            {shown.map((f) => (
              <div key={f.key} className="rt-card__line">
                <Typography.Text type="secondary">{fieldLabel(f)}</Typography.Text>
                <span className="rt-card__value">{renderValue(f, record[f.key], lang)}</span>
              </div>
            ))}
          </Card>
        );
      })}
    </div>
  );
}
