" msgbus schema files (msgbus-schema(5)): *.msg
autocmd BufNewFile,BufRead *.msg setfiletype msgbus
