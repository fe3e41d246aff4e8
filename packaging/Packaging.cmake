# `make package`: a Debian package of the GUI, the CLI, the demo model and the built-in feature extractor, with a
# desktop entry and icon. Runtime dependencies come from dpkg-shlibdeps on the installed binaries.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/resources/ DESTINATION share/ganstudio)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/ganstudio.desktop DESTINATION share/applications)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/ganstudio.svg DESTINATION share/icons/hicolor/scalable/apps)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION share/doc/ganstudio)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ganstudio)
set(CPACK_PACKAGE_VENDOR "GAN Compression Studio")
set(CPACK_PACKAGE_CONTACT "GAN Compression Studio developers <ganstudio@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "interactive channel pruning of GAN generators (GUI and CLI)")
set(CPACK_PACKAGE_DESCRIPTION
    "GAN Compression Studio makes trained GAN generators (DCGAN, SSD, StyleGAN2, pix2pix, CycleGAN) smaller and "
    "faster by channel pruning: sensitivity heatmaps, fine-tuning with distillation, live FID / precision / recall "
    "curves and teacher-vs-student samples. Includes ganstudio-cli, a demo model and a built-in feature extractor.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Loaded at run time, not linked: fonts for the GUI; the offscreen/xcb platform plugins come with libqt6gui6.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist")
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
include(CPack)
