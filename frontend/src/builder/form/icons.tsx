/** The palette's icons by the Ant Design name each field type gives (GET /api/field-types `icon`), imported one by
 * one so the bundle carries only these. A name not listed falls back to a plain field icon. */
import type { ComponentType } from 'react';
import {
  AimOutlined, AlignLeftOutlined, ApartmentOutlined, BarcodeOutlined, BgColorsOutlined, CalendarOutlined,
  CheckCircleOutlined, CheckSquareOutlined, ClockCircleOutlined, ClusterOutlined, DownSquareOutlined,
  EnvironmentOutlined, FieldNumberOutlined, FieldTimeOutlined, FileTextOutlined, FontSizeOutlined, FunctionOutlined,
  HistoryOutlined, HomeOutlined, HourglassOutlined, IdcardOutlined, InfoCircleOutlined, InteractionOutlined,
  LineOutlined, LinkOutlined, MailOutlined, MoneyCollectOutlined, NumberOutlined, PaperClipOutlined,
  PercentageOutlined, PhoneOutlined, PictureOutlined, PoweroffOutlined, ScheduleOutlined, SearchOutlined,
  SignatureOutlined, SlidersOutlined, StarOutlined, TableOutlined, TagsOutlined, UnorderedListOutlined,
  UserAddOutlined, UserOutlined, UserSwitchOutlined, WechatOutlined,
} from '@ant-design/icons';

const ICONS: Record<string, ComponentType> = {
  AimOutlined, AlignLeftOutlined, ApartmentOutlined, BarcodeOutlined, BgColorsOutlined, CalendarOutlined,
  CheckCircleOutlined, CheckSquareOutlined, ClockCircleOutlined, ClusterOutlined, DownSquareOutlined,
  EnvironmentOutlined, FieldNumberOutlined, FieldTimeOutlined, FileTextOutlined, FontSizeOutlined, FunctionOutlined,
  HistoryOutlined, HomeOutlined, HourglassOutlined, IdcardOutlined, InfoCircleOutlined, InteractionOutlined,
  LineOutlined, LinkOutlined, MailOutlined, MoneyCollectOutlined, NumberOutlined, PaperClipOutlined,
  PercentageOutlined, PhoneOutlined, PictureOutlined, PoweroffOutlined, ScheduleOutlined, SearchOutlined,
  SignatureOutlined, SlidersOutlined, StarOutlined, TableOutlined, TagsOutlined, UnorderedListOutlined,
  UserAddOutlined, UserOutlined, UserSwitchOutlined, WechatOutlined,
};

export function FieldTypeIcon({ name }: { name: string }) {
  const Icon = ICONS[name] ?? FontSizeOutlined;
  return <Icon />;
}
