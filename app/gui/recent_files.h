// The "Open Recent" list, kept in QSettings: newest first, at most MaxEntries, files that are gone are dropped.
#pragma once
#include <QStringList>

namespace gs::gui {

class RecentFiles {
public:
  static constexpr int MaxEntries = 8;

  // Existing files only, newest first; the stored list is pruned of the rest.
  QStringList entries() const;
  void add(const QString& path);
  void clear();

private:
  static QStringList stored();
  static void store(const QStringList& paths);
};

} // namespace gs::gui
