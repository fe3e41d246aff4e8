// Short human-readable numbers for labels and table cells ("1.23M", "4.5 MB"); exact values go in tooltips.
#pragma once
#include <QString>
#include <QVector>

namespace gs::widgets {

// Same thresholds as the CLI's `info`, so both show a checkpoint with the same numbers.
QString format_count(qint64 n);                     // 1234567 -> "1.23M"
QString format_bytes(qint64 n);                     // decimal units like the CLI: 1234567 -> "1.23 MB"
QString format_exact(qint64 n);                     // 1234567 -> "1,234,567" in the user's locale
QString format_shape(const QVector<qint64>& shape); // [8, 3, 3, 3]; a scalar is []

} // namespace gs::widgets
