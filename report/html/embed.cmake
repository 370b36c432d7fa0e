# Writes OUT, a C file with each of FILES (a ';'-list) as a NUL-terminated
# char array named html_<file name, '.' as '_'> (page.html: html_page_html),
# so the page's parts stay real files under report/html/. Run at build time
# by report/CMakeLists.txt: cmake -DOUT=... -DFILES=... -P embed.cmake.
# Refuses "</script" in a script: it would end the page's script element.
file(WRITE ${OUT}.tmp "/* Generated from report/html/ by embed.cmake: do not edit. */\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  string(REPLACE "." "_" name ${name})
  file(READ ${f} text)
  string(TOLOWER "${text}" lower)
  if(f MATCHES "\\.js$" AND lower MATCHES "</script")
    message(FATAL_ERROR "${f}: contains </script")
  endif()
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" hex "${hex}")
  file(APPEND ${OUT}.tmp "const char html_${name}[] = {\n${hex}0x00};\n")
endforeach()
file(RENAME ${OUT}.tmp ${OUT})
