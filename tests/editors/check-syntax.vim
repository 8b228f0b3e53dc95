" Run by tests/vim-syntax.test: vim -es -u NONE -S check-syntax.vim FILE...
" Detects each file's type through editors/vim/ftdetect, loads the syntax,
" and checks that tokens found by line patterns that do not depend on the
" syntax file get the expected highlight groups.  Writes failures and the
" number of checks to $VIM_SYNTAX_OUT; exits non-zero on any failure.
let s:fail = []
let s:checked = 0
let s:seen = {}

function! s:InBlockComment(lnum) abort
  " A /* */ block around this line, found without the syntax file.
  let l:open = 0
  for l:text in getline(1, a:lnum - 1)
    let l:text = substitute(l:text, '//.*', '', '')
    let l:open = l:text =~# '/\*\%(.*\*/\)\@!' ? 1 : (l:text =~# '\*/' ? 0 : l:open)
  endfor
  return l:open
endfunction

function! s:Check(pattern, group) abort
  call cursor(1, 1)
  let l:flags = 'cW'
  while 1
    let [l:lnum, l:col] = searchpos(a:pattern, l:flags)
    let l:flags = 'W'
    if l:lnum == 0
      break
    endif
    if s:InBlockComment(l:lnum)
      continue
    endif
    let s:checked += 1
    let s:seen[a:pattern] = 1
    let l:got = synIDattr(synID(l:lnum, l:col, 1), 'name')
    if l:got !=# a:group
      call add(s:fail, printf('%s:%d:%d: %s: expected %s, got %s in "%s"',
            \ expand('%'), l:lnum, l:col, a:pattern, a:group,
            \ l:got ==# '' ? 'no group' : l:got, getline(l:lnum)))
    endif
  endwhile
endfunction

let s:field = '^\s*\h\w*\s*:\s*'
let s:types = '\%(bool\|u\=int\%(8\|16\|32\|64\)\|float\|double\|string\|bytes\|timestamp\|uuid\)\>'
let s:checks = [
      \ ['^\s*\zs\%(package\|import\)\>', 'msgbusPackage'],
      \ ['^\s*package\s\+\zs\h', 'msgbusPackageName'],
      \ ['^\s*import\s\+\zs"', 'msgbusString'],
      \ ['^\s*\zs\%(record\|command\|event\|enum\)\>', 'msgbusStructure'],
      \ ['^\s*\%(record\|command\|event\|enum\)\s\+\zs\h', 'msgbusTypeName'],
      \ ['^\s*\zshandler\>', 'msgbusHandler'],
      \ ['^\s*handler\s\+\zs\h', 'msgbusHandlerName'],
      \ ['^\s*handler\>[^/]*)\s*\zsemits\>', 'msgbusKeyword'],
      \ ['^\s*\zsoutbox\>', 'msgbusKeyword'],
      \ ['^\s*outbox\>[^/"]*\zs->', 'msgbusArrow'],
      \ ['^\s*\zs///\%(/\)\@!', 'msgbusDocComment'],
      \ ['^\s*\zs//\%(/\%(/\)\@!\)\@!', 'msgbusComment'],
      \ ['[^ \t/]\s*\zs//\%(/\)\@![^"]*$', 'msgbusComment'],
      \ ['[^ \t/]\s*\zs///\%(/\)\@![^"]*$', 'msgbusDocComment'],
      \ ['^\s*\zs\h\w*\ze\s*:', 'msgbusField'],
      \ [s:field . '\zs' . s:types, 'msgbusType'],
      \ [s:field . '\%(list\|map\)\s*<\%(string\s*,\s*\)\=\zs' . s:types, 'msgbusType'],
      \ [s:field . '\zs\%(list\|map\)\>', 'msgbusContainer'],
      \ [s:field . '[^/"=;]*\zs?', 'msgbusOptional'],
      \ [s:field . '[^/"=;]*\zs=', 'msgbusDefault'],
      \ [s:field . '[^/"=;]*=\s*\zs"', 'msgbusString'],
      \ [s:field . '[^/"=;]*=\s*\zs-\=\d\+\s*;', 'msgbusNumber'],
      \ [s:field . '[^/"=;]*=\s*\zs-\=\d\+\.\d\+', 'msgbusFloat'],
      \ [s:field . '[^/"=;]*=\s*\zs\%(true\|false\)\>', 'msgbusBoolean'],
      \ [s:field . '[^/"=;]*=\s*\zs\u\w*\s*;', 'msgbusEnumDefault'],
      \ ]

let s:files = argc()
for s:i in range(s:files)
  execute 'buffer' (s:i + 1)
  if &filetype !=# 'msgbus'
    call add(s:fail, expand('%') . ': filetype is "' . &filetype . '", not msgbus (ftdetect)')
    continue
  endif
  if get(b:, 'current_syntax', '') !=# 'msgbus'
    call add(s:fail, expand('%') . ': the msgbus syntax did not load')
    continue
  endif
  for [s:pat, s:group] in s:checks
    call s:Check(s:pat, s:group)
  endfor
endfor

" The sample (last file) exercises every rule: each check must match there.
if exists('$VIM_SYNTAX_SAMPLE')
  execute 'edit' fnameescape($VIM_SYNTAX_SAMPLE)
  let s:seen = {}
  for [s:pat, s:group] in s:checks + [
        \ ['/\*\zs.*record', 'msgbusComment'],
        \ ['^\s*\zs////', 'msgbusComment'],
        \ ['"[^"]*\zs\\n', 'msgbusEscape'],
        \ ['"[^"]*\zs\\u\x\{4}', 'msgbusEscape'],
        \ ['"[^"]*\zs\\q', 'msgbusBadEscape'],
        \ ['=\s*\zs-\=0[xX]\x\+', 'msgbusNumber'],
        \ ['=\s*\zs\d\+e\d\+', 'msgbusFloat'],
        \ ['=\s*\zs\d\+abc', 'msgbusBadNumber'],
        \ ]
    call s:Check(s:pat, s:group)
    if !has_key(s:seen, s:pat)
      call add(s:fail, 'sample: nothing matched ' . s:pat)
    endif
  endfor
endif

if v:errmsg !=# ''
  call add(s:fail, 'vim reported: ' . v:errmsg)
endif
call writefile(s:fail + ['checked ' . s:checked], $VIM_SYNTAX_OUT)
execute empty(s:fail) ? 'qall!' : 'cquit!'
