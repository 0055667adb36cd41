import { useQueryClient } from '@tanstack/react-query';
import { Suspense, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { Icon } from '../components/Icon.js';
import { Modal } from '../components/Modal.js';
import { authKeys } from '../features/auth/api/get-me.js';
import { useLogout } from '../features/auth/api/logout.js';
import { useCharacters } from '../features/characters/api/get-characters.js';
import { characterKeys } from '../features/characters/api/keys.js';
import { CharacterList } from '../features/characters/components/CharacterList.js';
import { InfoPanel } from '../features/characters/components/InfoPanel.js';
import { ChatView } from '../features/chat/components/ChatView.js';
import { useGroups } from '../features/groups/api/groups.js';
import { GroupChatView } from '../features/groups/components/GroupChatView.js';
import { GroupInfoPanel } from '../features/groups/components/GroupInfoPanel.js';
import { GroupList } from '../features/groups/components/GroupList.js';
import { usePersonas } from '../features/settings/api/personas.js';
import { FeedbackButton } from '../features/feedback/FeedbackButton.js';
import { AttachedBooks, CharacterLorebookButton } from '../features/lorebooks/components/CharacterLorebooks.js';
import { LorebooksPage } from '../features/lorebooks/components/LorebooksPage.js';
import { useI18n } from '../i18n/index.js';
import { lazyNamed } from '../lib/lazy.js';
import { PHONE_QUERY, useMediaQuery } from '../lib/media.js';
import { useMeta } from '../lib/meta.js';
import { useTheme } from '../lib/theme.js';
import { routePath, useRoute, type Route } from '../lib/router.js';
import type { Id, User } from '../lib/types.js';

// Chunks of their own, fetched when first opened: the sign-in screen and the chat need none of them.
const AdminPage = lazyNamed(() => import('../features/admin/components/AdminPage.js'), 'AdminPage');
const CreateCharacterDialog = lazyNamed(() => import('../features/creation/components/CreateCharacterDialog.js'), 'CreateCharacterDialog');
const ImportCardDialog = lazyNamed(() => import('../features/characters/components/ImportCardDialog.js'), 'ImportCardDialog');
const CreateGroupDialog = lazyNamed(() => import('../features/groups/components/CreateGroupDialog.js'), 'CreateGroupDialog');
const ManageGroupDialog = lazyNamed(() => import('../features/groups/components/ManageGroupDialog.js'), 'ManageGroupDialog');
const SettingsDialog = lazyNamed(() => import('../features/settings/components/SettingsDialog.js'), 'SettingsDialog');

type Selection = { kind: 'character'; id: Id } | { kind: 'group'; id: Id } | { kind: 'admin' } | { kind: 'lorebooks'; id: string | null } | null;
type Dialog = 'create' | 'group' | 'import' | 'manageGroup' | null;
type ChatRoute = Extract<Route, { view: 'character' | 'group' }>;

// The last chat, shown behind /settings and opened by / (the view itself lives in the URL).
const LAST_KEY = 'fastnpc.lastChat';

function readLastChat(): ChatRoute | null {
  try {
    const v = JSON.parse(localStorage.getItem(LAST_KEY) ?? 'null') as ChatRoute | null;
    return v && (v.view === 'character' || v.view === 'group') && typeof v.id === 'string' ? v : null;
  } catch {
    return null;
  }
}

function rememberLastChat(r: ChatRoute | null): void {
  try {
    localStorage.setItem(LAST_KEY, JSON.stringify(r));
  } catch {
    // not persisted
  }
}

function selectionOf(route: Route, last: ChatRoute | null): Selection {
  const r = route.view === 'settings' ? last : route;
  if (!r) return null;
  if (r.view === 'character') return { kind: 'character', id: r.id };
  if (r.view === 'group') return { kind: 'group', id: r.id };
  if (r.view === 'admin') return { kind: 'admin' };
  if (r.view === 'lorebooks') return { kind: 'lorebooks', id: r.id };
  return null;
}

/**
 * The signed-in app: sidebar (lists, search, create buttons, settings, admin, sign out),
 * conversation, info panel. Below 768 px the sidebar is a drawer and the info panel a bottom sheet.
 */
export function Shell({ user, focusOnMount = false }: { user: User; focusOnMount?: boolean }) {
  const { t, errorText } = useI18n();
  const qc = useQueryClient();
  const theme = useTheme();
  const meta = useMeta();
  const logout = useLogout();
  const characters = useCharacters();
  const groups = useGroups();
  const personas = usePersonas();
  const [route, go] = useRoute();
  const [lastChat, setLastChat] = useState<ChatRoute | null>(readLastChat);
  const sel = selectionOf(route, lastChat);
  const routeKey = routePath(route);
  // When the view was chosen: a just-created item may not be in a list fetched before that.
  const [selAt, setSelAt] = useState(0);
  useEffect(() => {
    setSelAt(Date.now());
    setDrawer(false);
    setSheet(false);
    if (route.view === 'character' || route.view === 'group') {
      const r: ChatRoute = route.view === 'character' && route.chatId ? { view: 'character', id: route.id, chatId: route.chatId } : { view: route.view, id: route.id };
      setLastChat(r);
      rememberLastChat(r);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the path says it all
  }, [routeKey]);
  const [search, setSearch] = useState('');
  const [dialog, setDialog] = useState<Dialog>(null);
  const [drawer, setDrawer] = useState(false);
  const [sheet, setSheet] = useState(false);
  // On a phone the info pane is hidden (app.css) and opens as a sheet: not rendered until then,
  // so its panels and their requests do not compete with the conversation's first paint.
  const phone = useMediaQuery(PHONE_QUERY);
  const menuRef = useRef<HTMLButtonElement>(null);
  const sidebarRef = useRef<HTMLElement>(null);
  const mainRef = useRef<HTMLElement>(null);
  // Where focus goes once the conversation is on screen: its heading after sign-in, or after a
  // pick in the phone drawer (the link that had focus is hidden with the drawer).
  const focusMain = useRef(focusOnMount);

  const setSel = (s: Selection, replace = false) => {
    if (drawer) focusMain.current = true;
    setDrawer(false);
    setSheet(false);
    go(s === null ? { view: 'home' } : s.kind === 'admin' ? { view: 'admin' } : s.kind === 'lorebooks' ? { view: 'lorebooks', id: s.id } : { view: s.kind, id: String(s.id) }, { replace });
  };
  const closeSettings = () => {
    if ((window.history.state as { inApp?: boolean } | null)?.inApp) window.history.back();
    else go(lastChat ?? { view: 'home' }, { replace: true });
  };

  const charList = useMemo(() => characters.data?.items ?? [], [characters.data]);
  const groupList = useMemo(() => groups.data ?? [], [groups.data]);
  const needle = search.trim().toLowerCase();
  const shownChars = needle ? charList.filter((c) => c.name.toLowerCase().includes(needle) || c.biography?.toLowerCase().includes(needle)) : charList;
  const shownGroups = needle ? groupList.filter((g) => g.name.toLowerCase().includes(needle) || g.members.some((m) => m.name.toLowerCase().includes(needle))) : groupList;

  const activeChar = sel?.kind === 'character' ? charList.find((c) => String(c.id) === String(sel.id)) : undefined;
  // Which of the character's chats is open (behind /settings: the last one).
  const chatRoute = route.view === 'character' ? route : route.view === 'settings' && lastChat?.view === 'character' ? lastChat : undefined;
  const openChat = useCallback(
    (characterId: Id, chatId: Id | null, replace?: boolean) => {
      // Behind the settings dialog the URL stays /settings.
      if (route.view !== 'character') return;
      go({ view: 'character', id: String(characterId), ...(chatId !== null ? { chatId: String(chatId) } : {}) }, { replace });
    },
    [route.view, go],
  );
  const activeGroup = sel?.kind === 'group' ? groupList.find((g) => String(g.id) === String(sel.id)) : undefined;

  // Nothing chosen (or the chosen one is gone): open the last chat, else the first character.
  useEffect(() => {
    if (!characters.data || !groups.data) return;
    const gone =
      (sel?.kind === 'character' && !activeChar && characters.dataUpdatedAt > selAt && !characters.isFetching) ||
      (sel?.kind === 'group' && !activeGroup && groups.dataUpdatedAt > selAt && !groups.isFetching) ||
      (sel?.kind === 'admin' && !user.isAdmin);
    if (!gone && sel !== null) return;
    const lastExists =
      lastChat &&
      (lastChat.view === 'character' ? charList.some((c) => String(c.id) === lastChat.id) : groupList.some((g) => String(g.id) === lastChat.id));
    const next: Route = !gone && lastExists ? lastChat : charList[0] ? { view: 'character', id: String(charList[0].id) } : { view: 'home' };
    if (route.view === 'settings') {
      if (gone) setLastChat(next.view === 'home' ? null : (next as ChatRoute));
      return;
    }
    go(next, { replace: true });
  }, [sel, selAt, activeChar, activeGroup, charList, groupList, characters.data, groups.data, characters.isFetching, groups.isFetching, characters.dataUpdatedAt, groups.dataUpdatedAt, lastChat, route.view, go, user.isAdmin]);

  // The tab and the history list say which view this is.
  const viewTitle = route.view === 'settings' ? t('settings.title') : route.view === 'admin' ? t('console.title') : route.view === 'lorebooks' ? t('lore.title') : (activeChar?.name ?? activeGroup?.name);
  useEffect(() => {
    document.title = viewTitle ? `${viewTitle} · FastNPC` : 'FastNPC';
  }, [viewTitle]);

  const refreshCharacters = () => void qc.invalidateQueries({ queryKey: characterKeys.all });

  // The phone drawer is modal: the page behind it is inert, focus starts inside, Escape closes it,
  // and focus goes back to the menu button (unless a pick moved it to the conversation). A layout
  // effect: the page must stop being inert before the focus effect below moves focus into it.
  useLayoutEffect(() => {
    if (!drawer) return;
    const side = sidebarRef.current;
    const behind = [mainRef.current, ...document.querySelectorAll<HTMLElement>('.app > .offline-banner, .app .info-pane, .app > .skip-link')].filter((el): el is HTMLElement => !!el);
    for (const el of behind) el.inert = true;
    side?.querySelector<HTMLElement>('input, button:not([disabled]), a[href]')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        setDrawer(false);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      for (const el of behind) el.inert = false;
      if (!focusMain.current && (!document.activeElement || document.activeElement === document.body || side?.contains(document.activeElement))) menuRef.current?.focus();
    };
  }, [drawer]);

  const settled = !!characters.data && !!groups.data && (sel === null ? charList.length === 0 : sel.kind === 'admin' || !!activeChar || !!activeGroup);
  useLayoutEffect(() => {
    if (!focusMain.current || !settled || drawer) return;
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    if (!heading) return;
    focusMain.current = false;
    const active = document.activeElement;
    // Not when the reader is already somewhere (typing in the composer, a dialog open).
    if (active && active !== document.body && !sidebarRef.current?.contains(active)) return;
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  });

  // To the composer when there is one (what a keyboard user came for), else the main region.
  const skipToMain = (e: MouseEvent) => {
    e.preventDefault();
    const target = mainRef.current?.querySelector<HTMLElement>('textarea:not([disabled])') ?? mainRef.current;
    target?.focus();
  };

  const menuButton = (
    <button ref={menuRef} type="button" className="icon-btn only-mobile" aria-label={t('nav.openMenu')} aria-expanded={drawer} aria-controls="sidebar" onClick={() => setDrawer(true)}>
      <Icon name="menu" />
    </button>
  );
  const infoButton = (
    <button type="button" className="icon-btn only-mobile" aria-label={t('nav.info')} onClick={() => setSheet(true)}>
      <Icon name="info" />
    </button>
  );

  // While the list loads, a character link already opens its chat (messages, profile, memories are
  // fetched beside the list, not after it); the name follows with the list.
  const shownChar = activeChar ?? (sel?.kind === 'character' && characters.isPending ? { id: sel.id, name: t('chat.loadingName'), avatarUrl: null } : undefined);

  let center;
  let info = null;
  const openLorebooks = (bookId?: Id) => setSel({ kind: 'lorebooks', id: bookId === undefined ? null : String(bookId) });
  if (sel?.kind === 'admin' && user.isAdmin) {
    center = <AdminPage leading={menuButton} />;
  } else if (sel?.kind === 'lorebooks') {
    center = <LorebooksPage leading={menuButton} characters={charList} groups={groupList} openId={sel.id} onOpen={(id) => setSel({ kind: 'lorebooks', id: id === null ? null : String(id) })} />;
  } else if (shownChar) {
    const activeChar = shownChar;
    center = (
      <ChatView
        key={String(activeChar.id)}
        character={activeChar}
        username={user.username}
        chatId={chatRoute?.chatId}
        onOpenChat={(chatId, replace) => openChat(activeChar.id, chatId, replace)}
        personas={personas.data ?? []}
        leading={menuButton}
        trailing={infoButton}
        onChanged={() => {
          void qc.invalidateQueries({ queryKey: characterKeys.lists() });
          void qc.invalidateQueries({ queryKey: characterKeys.memories(activeChar.id) });
        }}
      />
    );
    info = (
      <InfoPanel
        characterId={activeChar.id}
        chatId={chatRoute?.chatId}
        username={personas.data?.find((p) => p.isDefault)?.name ?? user.username}
        onDeleted={() => setSel(null, true)}
        onSelect={(id) => setSel({ kind: 'character', id })}
        actions={<CharacterLorebookButton character={activeChar} onOpenPage={openLorebooks} />}
      />
    );
  } else if (activeGroup) {
    center = <GroupChatView key={String(activeGroup.id)} group={activeGroup} username={user.username} leading={menuButton} trailing={infoButton} />;
    info = <GroupInfoPanel group={activeGroup} onManage={() => setDialog('manageGroup')} extra={<AttachedBooks kind="groups" targetId={activeGroup.id} onOpenPage={openLorebooks} />} />;
  } else {
    center = (
      <section className="conversation">
        <header className="conv-head">
          {menuButton}
          <h1 className="conv-title">FastNPC</h1>
        </header>
        <div className="center empty-state">
          <Icon name="spark" size={40} />
          <p>{characters.isPending ? t('app.loading') : charList.length === 0 ? t('nav.noCharacters') : t('chat.empty')}</p>
          {!characters.isPending && charList.length === 0 ? (
            <button type="button" className="btn btn-primary" onClick={() => setDialog('create')}>
              <Icon name="plus" /> {t('nav.createCharacter')}
            </button>
          ) : null}
        </div>
      </section>
    );
  }

  return (
    <div className={`app ${info ? 'has-info' : ''}`}>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        {t('nav.skipToMain')}
      </a>
      {meta.data?.llmProvider === 'offline' ? (
        <div className="offline-banner" role="status">
          <Icon name="info" size={15} /> {t('app.offline')}
        </div>
      ) : null}
      <div className="layout">
        <div className={`scrim ${drawer ? 'show' : ''}`} onClick={() => setDrawer(false)} aria-hidden="true" />
        <nav id="sidebar" ref={sidebarRef} className={`sidebar ${drawer ? 'open' : ''}`} aria-label={t('nav.characters')}>
          <div className="side-head">
            <span className="brand">FastNPC</span>
            <button type="button" className="icon-btn only-mobile" aria-label={t('nav.closeMenu')} onClick={() => setDrawer(false)}>
              <Icon name="close" />
            </button>
          </div>
          <div className="side-search">
            <Icon name="search" size={16} />
            <input type="search" aria-label={t('nav.search')} placeholder={t('nav.search')} value={search} onChange={(e) => setSearch(e.target.value)} />
          </div>
          <div className="side-actions">
            <button type="button" className="btn btn-primary btn-sm" onClick={() => setDialog('create')}>
              <Icon name="plus" size={16} /> {t('nav.createCharacter')}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setDialog('group')}>
              <Icon name="users" size={16} /> {t('nav.createGroup')}
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setDialog('import')}>
              <Icon name="import" size={16} /> {t('nav.importCard')}
            </button>
          </div>
          <div className="side-lists">
            <h2 className="side-label">
              {t('nav.characters')} <span className="muted">{charList.length}</span>
            </h2>
            {characters.error ? (
              <p className="error-text small pad" role="alert">
                {errorText(characters.error)}
              </p>
            ) : null}
            {characters.data && charList.length === 0 ? <p className="muted small pad">{t('nav.noCharacters')}</p> : null}
            {needle && shownChars.length === 0 && charList.length > 0 ? <p className="muted small pad">{t('nav.noMatch')}</p> : null}
            <CharacterList items={shownChars} username={user.username} activeId={sel?.kind === 'character' ? sel.id : null} onSelect={(id) => setSel({ kind: 'character', id })} />
            <h2 className="side-label">
              {t('nav.groups')} <span className="muted">{groupList.length}</span>
            </h2>
            {groups.error ? (
              <p className="error-text small pad" role="alert">
                {errorText(groups.error)}
              </p>
            ) : null}
            {groups.data && groupList.length === 0 ? <p className="muted small pad">{t('nav.noGroups')}</p> : null}
            {needle && shownGroups.length === 0 && groupList.length > 0 ? <p className="muted small pad">{t('nav.noMatch')}</p> : null}
            <GroupList items={shownGroups} activeId={sel?.kind === 'group' ? sel.id : null} onSelect={(id) => setSel({ kind: 'group', id })} />
          </div>
          <div className="side-foot">
            <span className="me ellipsis" title={user.username}>
              <Icon name="user" size={16} /> {user.username}
            </span>
            <button type="button" className="icon-btn" aria-label={t('nav.theme')} title={t('nav.theme')} onClick={theme.toggle}>
              <Icon name={theme.dark ? 'sun' : 'moon'} />
            </button>
            <FeedbackButton />
            <button type="button" className={`icon-btn ${sel?.kind === 'lorebooks' ? 'on' : ''}`} aria-label={t('lore.title')} title={t('lore.title')} onClick={() => openLorebooks()}>
              <Icon name="book" />
            </button>
            <button type="button" className="icon-btn" aria-label={t('nav.settings')} title={t('nav.settings')} onClick={() => go({ view: 'settings' })}>
              <Icon name="settings" />
            </button>
            {user.isAdmin ? (
              <button type="button" className={`icon-btn ${sel?.kind === 'admin' ? 'on' : ''}`} aria-label={t('nav.admin')} title={t('nav.admin')} onClick={() => setSel({ kind: 'admin' })}>
                <Icon name="shield" />
              </button>
            ) : null}
            <button type="button" className="icon-btn" aria-label={t('auth.signOut')} title={t('auth.signOut')} onClick={() => logout.mutate()}>
              <Icon name="logout" />
            </button>
          </div>
        </nav>

        <main id="main" ref={mainRef} tabIndex={-1} className="main">
          <Suspense fallback={<p className="center muted">{t('app.loading')}</p>}>{center}</Suspense>
        </main>

        {info && !phone ? (
          <aside className="info-pane" aria-label={activeGroup ? t('group.info') : t('info.title')}>
            {info}
          </aside>
        ) : null}
      </div>

      {sheet && info ? (
        <Modal title={activeGroup ? activeGroup.name : (activeChar?.name ?? t('info.title'))} onClose={() => setSheet(false)} variant="sheet">
          {info}
        </Modal>
      ) : null}

      <Suspense fallback={null}>
        {dialog === 'create' ? (
          <CreateCharacterDialog
            onClose={() => setDialog(null)}
            onCreated={(id) => {
              refreshCharacters();
              setSel({ kind: 'character', id });
            }}
          />
        ) : null}
        {dialog === 'import' ? (
          <ImportCardDialog
            onClose={() => setDialog(null)}
            onImported={(id) => {
              refreshCharacters();
              setSel({ kind: 'character', id });
            }}
          />
        ) : null}
        {dialog === 'group' ? <CreateGroupDialog characters={charList} onClose={() => setDialog(null)} onCreated={(id) => setSel({ kind: 'group', id })} /> : null}
        {dialog === 'manageGroup' && activeGroup ? <ManageGroupDialog group={activeGroup} characters={charList} personas={personas.data} onClose={() => setDialog(null)} onDeleted={() => setSel(null, true)} /> : null}
        {route.view === 'settings' ? <SettingsDialog onClose={closeSettings} onAccountDeleted={() => qc.setQueryData(authKeys.me, null)} /> : null}
      </Suspense>
    </div>
  );
}
