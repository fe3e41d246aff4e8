#include "app/gui/recent_files.h"

#include <QFileInfo>
#include <QSettings>

namespace gs::gui {

namespace {
const QString settings_key = QStringLiteral("recentFiles");
}

QStringList RecentFiles::stored() {
  return QSettings().value(settings_key).toStringList();
}

void RecentFiles::store(const QStringList& paths) {
  QSettings().setValue(settings_key, paths);
}

QStringList RecentFiles::entries() const {
  const QStringList all = stored();
  QStringList existing;
  for (const QString& path : all)
    if (QFileInfo(path).isFile()) existing << path;
  if (existing != all) store(existing);
  return existing;
}

void RecentFiles::add(const QString& path) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  QStringList paths = stored();
  paths.removeAll(absolute);
  paths.prepend(absolute);
  while (paths.size() > MaxEntries) paths.removeLast();
  store(paths);
}

void RecentFiles::clear() {
  store({});
}

} // namespace gs::gui
