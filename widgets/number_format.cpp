#include "widgets/number_format.h"

#include <QLocale>
#include <QStringList>

namespace gs::widgets {

QString format_count(qint64 n) {
  if (n >= 1000000000) return QString::number(n / 1e9, 'f', 2) + QLatin1Char('G');
  if (n >= 1000000) return QString::number(n / 1e6, 'f', 2) + QLatin1Char('M');
  if (n >= 10000) return QString::number(n / 1e3, 'f', 1) + QLatin1Char('K');
  return QString::number(n);
}

QString format_bytes(qint64 n) {
  // The C locale keeps the decimal point stable; units are SI so sizes match what `ganstudio-cli info` prints.
  return QLocale::c().formattedDataSize(n, 2, QLocale::DataSizeSIFormat);
}

QString format_exact(qint64 n) {
  return QLocale().toString(n);
}

QString format_shape(const QVector<qint64>& shape) {
  QStringList dims;
  dims.reserve(shape.size());
  for (qint64 d : shape) dims << QString::number(d);
  return QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']');
}

} // namespace gs::widgets
